// Tokenizer::from_tokenizer_json: reads a Hugging Face tokenizer.json (model, added tokens,
// normalizer, pre-tokenizer, decoder, post-processor) and tokenizer_config.json (bos/eos,
// add_bos_token) into a TokenizerSpec. Components turbine does not implement are refused with
// kUnsupported naming the component, rather than tokenizing differently from the reference.
#include <nlohmann/json.hpp>

#include "base/mapped_file.h"
#include "tokenizer/tokenizer.h"

namespace turbine {

namespace {

using nlohmann::json;

// Far above any real vocabulary (~262k), low enough that a hostile id cannot make us allocate
// more than a few tens of MB of empty token strings.
constexpr int64_t kMaxTokenId = int64_t{1} << 21;

// Load code throws internally and converts to a Status at the boundary (shared/DESIGN.md).
struct LoadError {
  Status status;
};
[[noreturn]] void fail(std::string message) { throw LoadError{invalid_argument(std::move(message))}; }
[[noreturn]] void fail_unsupported(std::string message) { throw LoadError{unsupported(std::move(message))}; }

bool get_bool(const json& obj, const char* key, bool fallback, const std::string& where) {
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return fallback;
  if (!it->is_boolean()) fail(where + "." + key + " is not a boolean");
  return it->get<bool>();
}

std::string get_string(const json& obj, const char* key, const std::string& where) {
  auto it = obj.find(key);
  if (it == obj.end() || !it->is_string()) fail(where + "." + key + " is missing or not a string");
  return it->get<std::string>();
}

const json& get_object(const json& obj, const char* key, const std::string& where) {
  auto it = obj.find(key);
  if (it == obj.end() || !it->is_object()) fail(where + "." + key + " is missing or not an object");
  return *it;
}

int32_t get_id(const json& value, const std::string& where) {
  if (!value.is_number_integer()) fail(where + " is not an integer");
  const int64_t id = value.get<int64_t>();
  if (id < 0 || id >= kMaxTokenId) fail(where + " = " + std::to_string(id) + " is out of range");
  return static_cast<int32_t>(id);
}

// "bos_token": "<s>" or {"content": "<s>", ...} or null.
std::optional<std::string> token_text(const json& value, const std::string& where) {
  if (value.is_null()) return std::nullopt;
  if (value.is_string()) return value.get<std::string>();
  if (value.is_object() && value.contains("content") && value["content"].is_string()) {
    return value["content"].get<std::string>();
  }
  fail(where + " is neither a string nor an object with \"content\"");
}

struct Parsed {
  TokenizerSpec spec;
  std::unordered_map<std::string, int32_t> ids;  // vocabulary and added tokens
  bool byte_level = false;                        // a ByteLevel pre-tokenizer was seen
  std::optional<std::string> template_bos;        // first SpecialToken of TemplateProcessing
  std::optional<std::string> unk_token;
};

void parse_vocab(const json& model, Parsed& p) {
  const json& vocab = get_object(model, "vocab", "model");
  int64_t max_id = -1;
  for (auto it = vocab.begin(); it != vocab.end(); ++it) {
    max_id = std::max<int64_t>(max_id, get_id(it.value(), "model.vocab[\"" + it.key() + "\"]"));
  }
  p.spec.tokens.assign(max_id + 1, std::string());
  p.ids.reserve(vocab.size() + 1024);
  for (auto it = vocab.begin(); it != vocab.end(); ++it) {
    const int32_t id = it.value().get<int32_t>();
    if (!p.spec.tokens[id].empty()) {
      fail("model.vocab gives id " + std::to_string(id) + " to both '" + p.spec.tokens[id] + "' and '" + it.key() + "'");
    }
    if (it.key().empty()) fail("model.vocab has an empty token");
    p.spec.tokens[id] = it.key();
    p.ids.emplace(it.key(), id);
  }
}

void parse_merges(const json& model, Parsed& p) {
  auto it = model.find("merges");
  if (it == model.end() || !it->is_array()) fail("model.merges is missing or not an array");
  p.spec.merges.reserve(it->size());
  size_t rank = 0;
  for (const json& m : *it) {
    const std::string where = "model.merges[" + std::to_string(rank++) + "]";
    std::string left, right;
    if (m.is_string()) {  // "left right"
      const std::string s = m.get<std::string>();
      const size_t space = s.find(' ');
      if (space == std::string::npos || s.find(' ', space + 1) != std::string::npos) {
        fail(where + " '" + s + "' is not two tokens separated by one space");
      }
      left = s.substr(0, space);
      right = s.substr(space + 1);
    } else if (m.is_array() && m.size() == 2 && m[0].is_string() && m[1].is_string()) {  // ["left", "right"]
      left = m[0].get<std::string>();
      right = m[1].get<std::string>();
    } else {
      fail(where + " is neither \"a b\" nor [\"a\", \"b\"]");
    }
    auto l = p.ids.find(left), r = p.ids.find(right);
    if (l == p.ids.end()) fail(where + " names unknown token '" + left + "'");
    if (r == p.ids.end()) fail(where + " names unknown token '" + right + "'");
    p.spec.merges.emplace_back(l->second, r->second);
  }
}

void parse_model(const json& root, Parsed& p) {
  auto it = root.find("model");
  if (it == root.end() || !it->is_object()) fail("no \"model\" object");
  const json& model = *it;
  if (model.contains("type") && !(model["type"].is_string() && model["type"] == "BPE")) {
    fail_unsupported("model type " + model["type"].dump() + " is not supported (BPE only)");
  }
  for (const char* key : {"continuing_subword_prefix", "end_of_word_suffix"}) {
    auto k = model.find(key);
    if (k != model.end() && !k->is_null() && !(k->is_string() && k->get<std::string>().empty())) {
      fail_unsupported(std::string("model.") + key + " is not supported");
    }
  }
  if (auto d = model.find("dropout"); d != model.end() && !d->is_null() && !(d->is_number() && d->get<double>() == 0)) {
    fail_unsupported("model.dropout is not supported");
  }
  parse_vocab(model, p);
  parse_merges(model, p);
  p.spec.byte_fallback = get_bool(model, "byte_fallback", false, "model");
  p.spec.fuse_unk = get_bool(model, "fuse_unk", false, "model");
  p.spec.ignore_merges = get_bool(model, "ignore_merges", false, "model");
  if (auto u = model.find("unk_token"); u != model.end()) p.unk_token = token_text(*u, "model.unk_token");
}

void parse_added_tokens(const json& root, Parsed& p) {
  auto it = root.find("added_tokens");
  if (it == root.end() || it->is_null()) return;
  if (!it->is_array()) fail("added_tokens is not an array");
  for (size_t i = 0; i < it->size(); ++i) {
    const json& t = (*it)[i];
    const std::string where = "added_tokens[" + std::to_string(i) + "]";
    if (!t.is_object()) fail(where + " is not an object");
    AddedToken added;
    added.id = get_id(t.contains("id") ? t["id"] : json(), where + ".id");
    added.content = get_string(t, "content", where);
    if (added.content.empty()) fail(where + ".content is empty");
    added.special = get_bool(t, "special", false, where);
    added.lstrip = get_bool(t, "lstrip", false, where);
    added.rstrip = get_bool(t, "rstrip", false, where);
    if (added.id >= static_cast<int64_t>(p.spec.tokens.size())) p.spec.tokens.resize(added.id + 1);
    p.spec.tokens[added.id] = added.content;
    p.ids[added.content] = added.id;
    p.spec.added_tokens.push_back(std::move(added));
  }
}

std::string type_of(const json& component, const std::string& where) {
  if (!component.is_object()) fail(where + " is not an object");
  return get_string(component, "type", where);
}

void parse_normalizer(const json& n, Parsed& p, const std::string& where) {
  if (n.is_null()) return;
  const std::string type = type_of(n, where);
  TextPipeline& pipe = p.spec.pipeline;
  if (type == "Sequence") {
    auto it = n.find("normalizers");
    if (it == n.end() || !it->is_array()) fail(where + ".normalizers is not an array");
    for (size_t i = 0; i < it->size(); ++i) parse_normalizer((*it)[i], p, where + ".normalizers[" + std::to_string(i) + "]");
  } else if (type == "NFC") {
    pipe.nfc = true;
  } else if (type == "Prepend" && get_string(n, "prepend", where) == kMetaspace) {
    pipe.metaspace_prefix = TextPipeline::Prefix::kAlways;
    pipe.prefix_even_if_present = true;
  } else if (type == "Replace" && n.contains("pattern") && n["pattern"].is_object() &&
             n["pattern"].value("String", "") == " " && get_string(n, "content", where) == kMetaspace) {
    pipe.spaces_to_metaspace = true;
  } else {
    fail_unsupported(where + " " + n.dump().substr(0, 200) + " is not supported");
  }
}

void parse_metaspace(const json& m, Parsed& p, const std::string& where) {
  if (m.contains("replacement") && get_string(m, "replacement", where) != kMetaspace) {
    fail_unsupported(where + ": Metaspace replacement other than U+2581");
  }
  TextPipeline& pipe = p.spec.pipeline;
  pipe.spaces_to_metaspace = true;
  pipe.prefix_even_if_present = false;
  std::string scheme = get_bool(m, "add_prefix_space", true, where) ? "always" : "never";
  if (m.contains("prepend_scheme")) scheme = get_string(m, "prepend_scheme", where);
  if (scheme == "always") pipe.metaspace_prefix = TextPipeline::Prefix::kAlways;
  else if (scheme == "first") pipe.metaspace_prefix = TextPipeline::Prefix::kFirstSection;
  else if (scheme == "never") pipe.metaspace_prefix = TextPipeline::Prefix::kNever;
  else fail_unsupported(where + ".prepend_scheme '" + scheme + "' is not supported");
  pipe.metaspace_split = get_bool(m, "split", true, where);
}

void parse_pre_tokenizer(const json& pt, Parsed& p, const std::string& where) {
  if (pt.is_null()) return;
  const std::string type = type_of(pt, where);
  TextPipeline& pipe = p.spec.pipeline;
  auto set_regex = [&](PreTokenizerRegex regex) {
    if (pipe.regex != PreTokenizerRegex::kNone) fail_unsupported(where + ": more than one regex split");
    pipe.regex = regex;
  };
  if (type == "Sequence") {
    auto it = pt.find("pretokenizers");
    if (it == pt.end() || !it->is_array()) fail(where + ".pretokenizers is not an array");
    for (size_t i = 0; i < it->size(); ++i) parse_pre_tokenizer((*it)[i], p, where + ".pretokenizers[" + std::to_string(i) + "]");
  } else if (type == "ByteLevel") {
    p.byte_level = true;
    pipe.byte_level_prefix_space = get_bool(pt, "add_prefix_space", false, where);
    if (get_bool(pt, "use_regex", true, where)) set_regex(PreTokenizerRegex::kGpt2);
  } else if (type == "Split") {
    const json& pattern = get_object(pt, "pattern", where);
    const std::string regex = pattern.contains("Regex") ? get_string(pattern, "Regex", where + ".pattern") : "";
    const PreTokenizerRegex known = pre_tokenizer_regex_from_pattern(regex);
    if (known == PreTokenizerRegex::kNone) fail_unsupported(where + ": split pattern " + pattern.dump() + " is not supported");
    if (!pt.contains("behavior") || pt["behavior"] != "Isolated" || get_bool(pt, "invert", false, where)) {
      fail_unsupported(where + ": only Isolated, non-inverted regex splits are supported");
    }
    set_regex(known);
  } else if (type == "Metaspace") {
    parse_metaspace(pt, p, where);
  } else {
    fail_unsupported(where + " type '" + type + "' is not supported");
  }
}

void parse_decoder(const json& d, Parsed& p, const std::string& where) {
  if (d.is_null()) return;
  const std::string type = type_of(d, where);
  if (type == "Sequence") {
    auto it = d.find("decoders");
    if (it == d.end() || !it->is_array()) fail(where + ".decoders is not an array");
    for (size_t i = 0; i < it->size(); ++i) parse_decoder((*it)[i], p, where + ".decoders[" + std::to_string(i) + "]");
  } else if (type == "ByteLevel" || type == "ByteFallback" || type == "Fuse") {
    // Byte-level spelling, <0xNN> bytes and fusing are how token_bytes() is built.
  } else if (type == "Replace" && d.contains("pattern") && d["pattern"].is_object() &&
             d["pattern"].value("String", "") == kMetaspace && get_string(d, "content", where) == " ") {
    // "▁" -> " ": likewise part of token_bytes() for SentencePiece vocabularies.
  } else if (type == "Strip" && get_string(d, "content", where) == " " &&
             d.value("stop", 0) == 0 && d.value("start", 0) >= 0) {
    p.spec.decode_strip_spaces = d.value("start", 0);
  } else if (type == "Metaspace") {
    std::string scheme = get_bool(d, "add_prefix_space", true, where) ? "always" : "never";
    if (d.contains("prepend_scheme")) scheme = get_string(d, "prepend_scheme", where);
    p.spec.decode_strip_spaces = scheme == "never" ? 0 : 1;
  } else {
    fail_unsupported(where + " " + d.dump().substr(0, 200) + " is not supported");
  }
}

// The token TemplateProcessing puts before the text, if any (the bos a plain encode adds).
void parse_post_processor(const json& pp, Parsed& p) {
  if (!pp.is_object()) return;
  const std::string type = pp.value("type", "");
  if (type == "Sequence" && pp.contains("processors") && pp["processors"].is_array()) {
    for (const json& sub : pp["processors"]) parse_post_processor(sub, p);
  } else if (type == "TemplateProcessing" && pp.contains("single") && pp["single"].is_array() &&
             !pp["single"].empty()) {
    const json& first = pp["single"][0];
    if (first.is_object() && first.contains("SpecialToken") && first["SpecialToken"].is_object()) {
      p.template_bos = token_text(first["SpecialToken"].value("id", json()), "post_processor.single[0].id");
    }
  }
}

int32_t require_id(const Parsed& p, const std::string& text, const std::string& what) {
  auto it = p.ids.find(text);
  if (it == p.ids.end()) fail(what + " '" + text + "' is not in the vocabulary");
  return it->second;
}

std::optional<int32_t> find_id(const Parsed& p, std::string_view text) {
  auto it = p.ids.find(std::string(text));
  return it == p.ids.end() ? std::nullopt : std::optional<int32_t>(it->second);
}

// unk and the post-processor's bos, named in tokenizer.json.
void resolve_model_tokens(Parsed& p) {
  if (p.unk_token) p.spec.unk_id = require_id(p, *p.unk_token, "model.unk_token");
  if (p.template_bos) p.spec.bos_id = require_id(p, *p.template_bos, "post_processor special token");
  p.spec.add_bos = p.template_bos.has_value();
}

// bos/eos/add_bos from tokenizer_config.json when given; otherwise from the post-processor and
// the usual token names.
void apply_config(const json* config, Parsed& p) {
  TokenizerSpec& spec = p.spec;
  if (!config) {
    for (std::string_view name : {"</s>", "<|end_of_text|>", "<|endoftext|>", "<|im_end|>", "<|eot_id|>"}) {
      if (auto id = find_id(p, name)) {
        spec.eos_id = *id;
        break;
      }
    }
    return;
  }
  if (!config->is_object()) fail("is not a JSON object");
  if (auto it = config->find("bos_token"); it != config->end()) {
    auto text = token_text(*it, "bos_token");
    spec.bos_id = text ? require_id(p, *text, "bos_token") : -1;
  }
  if (auto it = config->find("eos_token"); it != config->end()) {
    auto text = token_text(*it, "eos_token");
    spec.eos_id = text ? require_id(p, *text, "eos_token") : -1;
  }
  spec.add_bos = get_bool(*config, "add_bos_token", spec.add_bos, "tokenizer_config");
  if (auto it = config->find("additional_special_tokens"); it != config->end() && it->is_array()) {
    for (const json& t : *it) {
      auto text = token_text(t, "additional_special_tokens[]");
      if (auto id = text ? find_id(p, *text) : std::nullopt) spec.extra_special_ids.push_back(*id);
    }
  }
}

Result<json> parse_json_file(const std::string& path) {
  TB_ASSIGN_OR_RETURN(std::string text, read_text_file(path));
  try {
    return json::parse(text);
  } catch (const json::exception& e) {
    return invalid_argument(path + ": not valid JSON: " + e.what());
  }
}

}  // namespace

Result<std::shared_ptr<const Tokenizer>> Tokenizer::from_tokenizer_json(const std::string& tokenizer_json_path,
                                                                        const std::string& tokenizer_config_path) {
  TB_ASSIGN_OR_RETURN(json root, parse_json_file(tokenizer_json_path));
  Parsed p;
  try {
    if (!root.is_object()) fail("is not a JSON object");
    parse_model(root, p);
    parse_added_tokens(root, p);
    parse_normalizer(root.value("normalizer", json()), p, "normalizer");
    parse_pre_tokenizer(root.value("pre_tokenizer", json()), p, "pre_tokenizer");
    parse_decoder(root.value("decoder", json()), p, "decoder");
    parse_post_processor(root.value("post_processor", json()), p);
    resolve_model_tokens(p);
    const TextPipeline& pipe = p.spec.pipeline;
    if (p.byte_level && !pipe.spaces_to_metaspace) {
      p.spec.kind = TokenizerKind::kByteLevelBpe;
    } else if (!p.byte_level && pipe.spaces_to_metaspace) {
      p.spec.kind = TokenizerKind::kSentencePieceBpe;
    } else {
      fail_unsupported("neither a byte-level nor a SentencePiece-style BPE tokenizer");
    }
    if (pipe.metaspace_prefix != TextPipeline::Prefix::kNever && !pipe.spaces_to_metaspace) {
      fail_unsupported("a \"▁\" prefix without spaces replaced by \"▁\"");
    }
  } catch (const LoadError& e) {
    return e.status.with_context(tokenizer_json_path);
  } catch (const json::exception& e) {
    return invalid_argument(tokenizer_json_path + ": " + e.what());
  }

  std::optional<json> config;
  if (!tokenizer_config_path.empty()) {
    TB_ASSIGN_OR_RETURN(config, parse_json_file(tokenizer_config_path));
  }
  try {
    apply_config(config ? &*config : nullptr, p);
  } catch (const LoadError& e) {
    return e.status.with_context(config ? tokenizer_config_path : tokenizer_json_path);
  } catch (const json::exception& e) {
    return invalid_argument((config ? tokenizer_config_path : tokenizer_json_path) + ": " + e.what());
  }
  p.spec.source = tokenizer_json_path;
  return from_spec(std::move(p.spec));
}

}  // namespace turbine
