#include "tokenizer/gguf_vocab_writer.h"

#include <algorithm>
#include <limits>

#include "tokenizer/gguf_vocab_keys.h"

namespace turbine {

namespace {

namespace gv = gguf_vocab;

bool is_byte_token(std::string_view text) {
  auto hex = [](char c) { return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'F'); };
  return text.size() == 6 && text.substr(0, 3) == "<0x" && hex(text[3]) && hex(text[4]) && text[5] == '>';
}

// Token types: added tokens are control (special; unknown for SentencePiece's unk) or
// user-defined; unused ids become "[PADn]" tokens of type unused, as llama.cpp pads vocabularies.
std::vector<int32_t> token_types(const TokenizerSpec& spec, std::vector<std::string>& tokens) {
  std::vector<int32_t> types(tokens.size(), gv::kTypeNormal);
  const bool spm = spec.kind == TokenizerKind::kSentencePieceBpe;
  for (size_t id = 0; id < tokens.size(); ++id) {
    if (tokens[id].empty()) {
      tokens[id] = "[PAD" + std::to_string(id) + "]";
      types[id] = gv::kTypeUnused;
    } else if (spm && spec.byte_fallback && is_byte_token(tokens[id])) {
      types[id] = gv::kTypeByte;
    }
  }
  for (const AddedToken& t : spec.added_tokens) {
    if (!t.special) {
      types[t.id] = gv::kTypeUserDefined;
    } else {
      types[t.id] = (spm && t.id == spec.unk_id) ? gv::kTypeUnknown : gv::kTypeControl;
    }
  }
  return types;
}

// SentencePiece scores from ranked merges: a token made by merge #r scores -r, so merging by
// score replays the merges in rank order; tokens no merge makes score below all of them (normal
// pieces) or 0 (bytes and control tokens, which never merge).
std::vector<float> scores_from_merges(const Tokenizer& tok, const std::vector<int32_t>& types) {
  const TokenizerSpec& spec = tok.spec();
  if (spec.merges_by_score) return spec.scores;
  const size_t n = spec.tokens.size();
  std::vector<int64_t> first_rank(n, std::numeric_limits<int64_t>::max());
  for (size_t rank = 0; rank < spec.merges.size(); ++rank) {
    const auto [left, right] = spec.merges[rank];
    if (auto merged = tok.token_id(spec.tokens[left] + spec.tokens[right])) {
      first_rank[*merged] = std::min<int64_t>(first_rank[*merged], static_cast<int64_t>(rank));
    }
  }
  std::vector<float> scores(n, 0.0f);
  const auto num_merges = static_cast<int64_t>(spec.merges.size());
  for (size_t id = 0; id < n; ++id) {
    if (types[id] != gv::kTypeNormal) continue;
    const int64_t rank = first_rank[id] != std::numeric_limits<int64_t>::max() ? first_rank[id]
                                                                               : num_merges + static_cast<int64_t>(id);
    scores[id] = -static_cast<float>(rank);  // exact: ranks stay far below 2^24
  }
  return scores;
}

Status write_byte_level(const Tokenizer& tok, GgufWriter& w) {
  const TokenizerSpec& spec = tok.spec();
  const TextPipeline& p = spec.pipeline;
  std::string_view pre;
  switch (p.regex) {
    case PreTokenizerRegex::kLlama3: pre = gv::kPreLlama3; break;
    case PreTokenizerRegex::kQwen2: pre = gv::kPreQwen2; break;
    case PreTokenizerRegex::kGpt2: pre = gv::kPreGpt2; break;
    case PreTokenizerRegex::kNone: return unsupported("a byte-level tokenizer without a regex split has no GGUF form");
  }
  // The GGUF loader derives NFC and ignore_merges from the pre name: they must agree.
  if (p.nfc != (p.regex == PreTokenizerRegex::kQwen2) ||
      spec.ignore_merges != (p.regex == PreTokenizerRegex::kLlama3) || p.byte_level_prefix_space) {
    return unsupported("this byte-level tokenizer's normalizer/merge settings have no GGUF form");
  }
  std::vector<std::string> tokens = spec.tokens;
  const std::vector<int32_t> types = token_types(spec, tokens);
  std::vector<std::string> merges;
  merges.reserve(spec.merges.size());
  for (const auto& [left, right] : spec.merges) merges.push_back(spec.tokens[left] + " " + spec.tokens[right]);
  w.set_string(gv::kModel, "gpt2");
  w.set_string(gv::kPre, std::string(pre));
  w.set_string_array(gv::kTokens, tokens);
  w.set_int32_array(gv::kTokenType, types);
  w.set_string_array(gv::kMerges, merges);
  return Status::ok();
}

Status write_sentencepiece(const Tokenizer& tok, GgufWriter& w) {
  const TokenizerSpec& spec = tok.spec();
  const TextPipeline& p = spec.pipeline;
  const bool prefix = p.metaspace_prefix == TextPipeline::Prefix::kAlways;
  if (!p.spaces_to_metaspace || p.nfc || p.metaspace_split || p.regex != PreTokenizerRegex::kNone ||
      (prefix && !p.prefix_even_if_present) || p.metaspace_prefix == TextPipeline::Prefix::kFirstSection ||
      spec.decode_strip_spaces != (prefix ? 1 : 0)) {
    return unsupported("this SentencePiece tokenizer's normalizer/decoder settings have no GGUF form");
  }
  std::vector<std::string> tokens = spec.tokens;
  const std::vector<int32_t> types = token_types(spec, tokens);
  w.set_string(gv::kModel, "llama");
  w.set_string_array(gv::kTokens, tokens);
  w.set_float32_array(gv::kScores, scores_from_merges(tok, types));
  w.set_int32_array(gv::kTokenType, types);
  w.set_bool(gv::kAddSpacePrefix, prefix);
  return Status::ok();
}

}  // namespace

Status write_tokenizer_to_gguf(const Tokenizer& tokenizer, GgufWriter& writer) {
  const TokenizerSpec& spec = tokenizer.spec();
  TB_RETURN_IF_ERROR(spec.kind == TokenizerKind::kByteLevelBpe ? write_byte_level(tokenizer, writer)
                                                               : write_sentencepiece(tokenizer, writer));
  if (spec.bos_id >= 0) writer.set_uint32(gv::kBosId, static_cast<uint32_t>(spec.bos_id));
  if (spec.eos_id >= 0) writer.set_uint32(gv::kEosId, static_cast<uint32_t>(spec.eos_id));
  if (spec.unk_id >= 0) writer.set_uint32(gv::kUnkId, static_cast<uint32_t>(spec.unk_id));
  writer.set_bool(gv::kAddBos, spec.add_bos);
  return Status::ok();
}

}  // namespace turbine
