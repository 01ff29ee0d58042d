// Tokenizer::from_gguf and from_checkpoint: the tokenizer.ggml.* metadata of a GGUF file
// ("gpt2" byte-level BPE with ranked merges, "llama" SentencePiece BPE with scores) into a
// TokenizerSpec. Text handling follows the Hugging Face tokenizer the GGUF was converted from, so
// a GGUF and its tokenizer.json give the same ids: "qwen2" adds Qwen's NFC normalizer (llama.cpp
// skips it), and "llama" puts "▁" before every run of text between added tokens.
#include <unordered_map>

#include "model/checkpoint.h"
#include "model/gguf.h"
#include "tokenizer/gguf_vocab_keys.h"
#include "tokenizer/tokenizer.h"

namespace turbine {

namespace {

namespace gv = gguf_vocab;

Result<const GgufValue*> find_array(const GgufFile& gguf, const char* key, bool strings, size_t expected_size) {
  const GgufValue* v = gguf.find(key);
  if (v == nullptr) return v;
  const bool is_string_array = v->type == GgufValueType::kArray && v->array_type == GgufValueType::kString;
  const bool is_number_array = v->type == GgufValueType::kArray && v->array_type != GgufValueType::kString &&
                               v->array_type != GgufValueType::kArray;
  if (strings ? !is_string_array : !is_number_array) {
    return invalid_argument(gguf.path() + ": " + key + " is not an array of " + (strings ? "strings" : "numbers"));
  }
  const size_t size = strings ? v->strings.size() : v->numbers.size();
  if (expected_size != 0 && size != expected_size) {
    return invalid_argument(gguf.path() + ": " + key + " has " + std::to_string(size) + " entries for " +
                            std::to_string(expected_size) + " tokens");
  }
  return v;
}

// An optional token id: -1 when absent; an error when present and not a valid id.
Result<int32_t> optional_id(const GgufFile& gguf, const char* key, size_t num_tokens) {
  TB_ASSIGN_OR_RETURN(std::optional<int64_t> id, gguf.get_int(key));
  if (!id) return -1;
  if (*id < 0 || *id >= static_cast<int64_t>(num_tokens)) {
    return out_of_range(gguf.path() + ": " + key + " = " + std::to_string(*id) + " is out of range (" +
                        std::to_string(num_tokens) + " tokens)");
  }
  return static_cast<int32_t>(*id);
}

// tokenizer.ggml.pre -> regex, with the settings llama.cpp and the source tokenizer.json tie to it.
Status apply_pre(const GgufFile& gguf, TokenizerSpec& spec) {
  TB_ASSIGN_OR_RETURN(std::optional<std::string> pre, gguf.get_string(gv::kPre));
  const std::string name = pre.value_or("default");
  if (name == gv::kPreLlama3 || name == "llama3" || name == "llama-v3") {
    spec.pipeline.regex = PreTokenizerRegex::kLlama3;
    spec.ignore_merges = true;  // Llama 3's tokenizer.json sets it; llama.cpp does the same
  } else if (name == gv::kPreQwen2 || name == "deepseek-r1-qwen") {
    spec.pipeline.regex = PreTokenizerRegex::kQwen2;
    spec.pipeline.nfc = true;  // Qwen's tokenizer.json normalizer
  } else if (name == gv::kPreGpt2 || name == "default" || name == "gpt2") {
    spec.pipeline.regex = PreTokenizerRegex::kGpt2;
  } else {
    return unsupported(gguf.path() + ": " + gv::kPre + " '" + name + "' is not supported (llama-bpe, qwen2, gpt-2)");
  }
  return Status::ok();
}

// gpt2: "left right" merges in rank order.
Status read_merges(const GgufFile& gguf, TokenizerSpec& spec) {
  TB_ASSIGN_OR_RETURN(const GgufValue* merges, find_array(gguf, gv::kMerges, true, 0));
  if (merges == nullptr) return invalid_argument(gguf.path() + ": " + gv::kMerges + " is missing");
  std::unordered_map<std::string_view, int32_t> ids;
  ids.reserve(spec.tokens.size());
  for (size_t id = 0; id < spec.tokens.size(); ++id) ids.emplace(spec.tokens[id], static_cast<int32_t>(id));
  spec.merges.reserve(merges->strings.size());
  for (size_t rank = 0; rank < merges->strings.size(); ++rank) {
    const std::string_view m = merges->strings[rank];
    const size_t space = m.find(' ', 1);  // from 1, as llama.cpp: a token may not be empty
    auto fault = [&](const std::string& what) {
      return invalid_argument(gguf.path() + ": " + gv::kMerges + "[" + std::to_string(rank) + "] '" +
                              std::string(m) + "' " + what);
    };
    if (space == std::string_view::npos) return fault("is not two tokens separated by a space");
    auto left = ids.find(m.substr(0, space)), right = ids.find(m.substr(space + 1));
    if (left == ids.end() || right == ids.end()) return fault("names a token not in the vocabulary");
    spec.merges.emplace_back(left->second, right->second);
  }
  return Status::ok();
}

// Control/unknown tokens become special added tokens, user-defined ones plain added tokens.
void add_tokens_by_type(const GgufValue* types, TokenizerSpec& spec) {
  if (types == nullptr) return;
  for (size_t id = 0; id < spec.tokens.size(); ++id) {
    const double type = types->numbers[id];  // compared as a double: a float array may hold NaN
    if (type != gv::kTypeControl && type != gv::kTypeUnknown && type != gv::kTypeUserDefined) continue;
    if (spec.tokens[id].empty()) continue;
    if (type == gv::kTypeUnknown && spec.unk_id < 0) spec.unk_id = static_cast<int32_t>(id);
    AddedToken t;
    t.id = static_cast<int32_t>(id);
    t.content = spec.tokens[id];
    t.special = type != gv::kTypeUserDefined;
    spec.added_tokens.push_back(std::move(t));
  }
}

Status read_ids(const GgufFile& gguf, TokenizerSpec& spec) {
  const size_t n = spec.tokens.size();
  TB_ASSIGN_OR_RETURN(spec.bos_id, optional_id(gguf, gv::kBosId, n));
  TB_ASSIGN_OR_RETURN(spec.eos_id, optional_id(gguf, gv::kEosId, n));
  TB_ASSIGN_OR_RETURN(int32_t unk, optional_id(gguf, gv::kUnkId, n));
  if (unk >= 0) spec.unk_id = unk;
  for (const char* key : {gv::kEotId, gv::kEomId}) {
    TB_ASSIGN_OR_RETURN(int32_t id, optional_id(gguf, key, n));
    if (id >= 0) spec.extra_stop_ids.push_back(id);
  }
  TB_ASSIGN_OR_RETURN(std::optional<bool> add_bos, gguf.get_bool(gv::kAddBos));
  // llama.cpp's defaults when the key is absent: SentencePiece adds bos, byte-level does not.
  spec.add_bos = add_bos.value_or(spec.kind == TokenizerKind::kSentencePieceBpe);
  return Status::ok();
}

}  // namespace

Result<std::shared_ptr<const Tokenizer>> Tokenizer::from_gguf(const GgufFile& gguf) {
  TB_ASSIGN_OR_RETURN(std::optional<std::string> model, gguf.get_string(gv::kModel));
  if (!model) return invalid_argument(gguf.path() + ": " + gv::kModel + " is missing (no tokenizer in this file)");
  TokenizerSpec spec;
  spec.source = gguf.path();
  if (*model == "gpt2") {
    spec.kind = TokenizerKind::kByteLevelBpe;
  } else if (*model == "llama") {
    spec.kind = TokenizerKind::kSentencePieceBpe;
  } else {
    return unsupported(gguf.path() + ": " + gv::kModel + " '" + *model + "' is not supported (gpt2, llama)");
  }

  TB_ASSIGN_OR_RETURN(const GgufValue* tokens, find_array(gguf, gv::kTokens, true, 0));
  if (tokens == nullptr || tokens->strings.empty()) {
    return invalid_argument(gguf.path() + ": " + gv::kTokens + " is missing or empty");
  }
  const size_t n = tokens->strings.size();
  spec.tokens.assign(tokens->strings.begin(), tokens->strings.end());
  TB_ASSIGN_OR_RETURN(const GgufValue* types, find_array(gguf, gv::kTokenType, false, n));
  TB_ASSIGN_OR_RETURN(const GgufValue* scores, find_array(gguf, gv::kScores, false, n));

  if (spec.kind == TokenizerKind::kByteLevelBpe) {
    TB_RETURN_IF_ERROR(apply_pre(gguf, spec));
    TB_RETURN_IF_ERROR(read_merges(gguf, spec));
  } else {
    if (scores == nullptr) return invalid_argument(gguf.path() + ": " + gv::kScores + " is missing (a llama vocabulary merges by score)");
    spec.merges_by_score = true;
    spec.scores.assign(scores->numbers.begin(), scores->numbers.end());
    spec.byte_fallback = true;
    spec.fuse_unk = true;
    TB_ASSIGN_OR_RETURN(std::optional<bool> space_prefix, gguf.get_bool(gv::kAddSpacePrefix));
    spec.pipeline.spaces_to_metaspace = true;
    spec.pipeline.prefix_even_if_present = true;
    spec.pipeline.metaspace_prefix = space_prefix.value_or(true) ? TextPipeline::Prefix::kAlways : TextPipeline::Prefix::kNever;
    spec.decode_strip_spaces = space_prefix.value_or(true) ? 1 : 0;
  }
  add_tokens_by_type(types, spec);
  TB_RETURN_IF_ERROR(read_ids(gguf, spec));
  return from_spec(std::move(spec));
}

Result<std::shared_ptr<const Tokenizer>> Tokenizer::from_checkpoint(const Checkpoint& ckpt) {
  if (ckpt.gguf) return from_gguf(*ckpt.gguf);
  if (!ckpt.tokenizer_json_path.empty()) {
    return from_tokenizer_json(ckpt.tokenizer_json_path, ckpt.tokenizer_config_path);
  }
  return not_found(ckpt.path + ": the checkpoint has no tokenizer (no GGUF vocabulary, no tokenizer.json)");
}

}  // namespace turbine
