// Reference tokenization for turbine's tokenizer agreement test, by Hugging Face's tokenizers.js.
// Usage: node tokenizer_reference.mjs <tokenizer.json> <corpus.txt> [tokenizer_config.json]
// The corpus holds one JSON string per line (lines not starting with '"' are comments). For each
// sample prints one JSON line: {"ids": encode without special tokens, "ids_with_special": encode
// with the post-processor's special tokens, "decoded": decode(ids), "decoded_skip":
// decode(ids, skip_special_tokens)}, decoding without clean-up of tokenization spaces.
import fs from "node:fs";
import { Tokenizer } from "@huggingface/tokenizers";

const [json_path, corpus_path, config_path] = process.argv.slice(2);
if (!json_path || !corpus_path) {
  console.error("usage: node tokenizer_reference.mjs <tokenizer.json> <corpus.txt> [tokenizer_config.json]");
  process.exit(2);
}
const tokenizer_json = JSON.parse(fs.readFileSync(json_path, "utf8"));
const config = config_path ? JSON.parse(fs.readFileSync(config_path, "utf8")) : {};
const tokenizer = new Tokenizer(tokenizer_json, config);

const decode = (ids, skip) =>
  ids.length === 0 ? "" : tokenizer.decode(ids, { skip_special_tokens: skip, clean_up_tokenization_spaces: false });

const lines = [];
for (const line of fs.readFileSync(corpus_path, "utf8").split("\n")) {
  if (!line.startsWith('"')) continue;
  const text = JSON.parse(line);
  const ids = tokenizer.encode(text, { add_special_tokens: false }).ids;
  const ids_with_special = tokenizer.encode(text, { add_special_tokens: true }).ids;
  lines.push(JSON.stringify({ ids, ids_with_special, decoded: decode(ids, false), decoded_skip: decode(ids, true) }));
}
process.stdout.write(lines.join("\n") + "\n");
