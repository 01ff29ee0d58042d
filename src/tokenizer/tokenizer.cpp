#include "tokenizer/tokenizer.h"

#include <algorithm>
#include <cstdio>
#include <limits>
#include <map>

#include "tokenizer/byte_level.h"
#include "tokenizer/unicode_props.h"
#include "tokenizer/utf8.h"

namespace turbine {

namespace {


// Names of end-of-turn / end-of-document tokens that stop generation when present.
constexpr std::string_view kStopTokenNames[] = {"<|eot_id|>", "<|eom_id|>", "<|im_end|>",
                                                "<|endoftext|>", "<|end_of_text|>"};

std::string byte_token_name(uint8_t b) {
  char buf[8];
  std::snprintf(buf, sizeof(buf), "<0x%02X>", b);
  return buf;
}

// "<0xNN>" -> NN (either case of hex digit, as Hugging Face's ByteFallback decoder accepts).
std::optional<uint8_t> parse_byte_token(std::string_view text) {
  if (text.size() != 6 || text.substr(0, 3) != "<0x" || text[5] != '>') return std::nullopt;
  auto hex = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  const int hi = hex(text[3]), lo = hex(text[4]);
  if (hi < 0 || lo < 0) return std::nullopt;
  return static_cast<uint8_t>(hi * 16 + lo);
}

std::string replace_all(std::string_view text, std::string_view from, std::string_view to) {
  std::string out;
  out.reserve(text.size());
  for (size_t pos = 0;;) {
    const size_t hit = text.find(from, pos);
    if (hit == std::string_view::npos) {
      out.append(text.substr(pos));
      return out;
    }
    out.append(text.substr(pos, hit - pos));
    out.append(to);
    pos = hit + from.size();
  }
}

std::string id_message(const char* what, int64_t id, size_t vocab_size) {
  return std::string(what) + " " + std::to_string(id) + " is out of range (vocabulary of " +
         std::to_string(vocab_size) + ")";
}

}  // namespace

Result<std::shared_ptr<const Tokenizer>> Tokenizer::from_spec(TokenizerSpec spec) {
  const std::string source = spec.source;
  std::shared_ptr<Tokenizer> tok(new Tokenizer(std::move(spec)));
  const Status st = tok->build();
  if (!st.is_ok()) return source.empty() ? st : st.with_context(source);
  return std::shared_ptr<const Tokenizer>(std::move(tok));
}

Status Tokenizer::build() {
  const size_t n = spec_.tokens.size();
  if (n == 0) return invalid_argument("empty vocabulary");
  if (n > (size_t{1} << 30)) return invalid_argument("vocabulary too large");
  for (auto [what, id] : {std::pair{"bos id", spec_.bos_id}, std::pair{"eos id", spec_.eos_id},
                          std::pair{"unk id", spec_.unk_id}}) {
    if (id < -1 || id >= static_cast<int64_t>(n)) return out_of_range(id_message(what, id, n));
  }
  vocab_.reserve(n);
  for (size_t id = 0; id < n; ++id) {
    if (!spec_.tokens[id].empty()) vocab_.emplace(spec_.tokens[id], static_cast<int32_t>(id));
  }
  std::vector<uint8_t> added(n, 0);
  special_.assign(n, 0);
  for (const AddedToken& t : spec_.added_tokens) {
    if (t.id < 0 || t.id >= static_cast<int64_t>(n)) return out_of_range(id_message("added token id", t.id, n));
    if (t.content.empty()) return invalid_argument("added token " + std::to_string(t.id) + " has empty text");
    added[t.id] = 1;
    special_[t.id] |= t.special ? 1 : 0;
  }
  for (int32_t id : spec_.extra_special_ids) {
    if (id < 0 || id >= static_cast<int64_t>(n)) return out_of_range(id_message("special token id", id, n));
    special_[id] = 1;
  }
  TB_RETURN_IF_ERROR(build_byte_tables(added));
  TB_RETURN_IF_ERROR(build_merges());
  added_.build(spec_.added_tokens);
  return build_stop_ids(added);
}

Status Tokenizer::build_byte_tables(const std::vector<uint8_t>& added) {
  const bool byte_level = spec_.kind == TokenizerKind::kByteLevelBpe;
  byte_ids_.assign(256, -1);
  for (int b = 0; b < 256; ++b) {
    const std::string name = byte_level ? byte_level::encode(std::string(1, static_cast<char>(b)))
                                        : byte_token_name(static_cast<uint8_t>(b));
    auto it = vocab_.find(name);
    if (it != vocab_.end()) {
      byte_ids_[b] = it->second;
    } else if (byte_level) {
      char hex[8];
      std::snprintf(hex, sizeof(hex), "0x%02X", b);
      return invalid_argument(std::string("byte-level vocabulary has no token for byte ") + hex);
    }
  }
  token_bytes_.resize(spec_.tokens.size());
  for (size_t id = 0; id < spec_.tokens.size(); ++id) {
    const std::string& text = spec_.tokens[id];
    if (byte_level) {
      // Added tokens are stored as plain text, not in the byte-to-unicode spelling.
      token_bytes_[id] = added[id] ? text : byte_level::decode(text);
    } else if (auto byte = parse_byte_token(text)) {
      token_bytes_[id] = std::string(1, static_cast<char>(*byte));
    } else {
      token_bytes_[id] = replace_all(text, kMetaspace, " ");
    }
  }
  return Status::ok();
}

Status Tokenizer::build_stop_ids(const std::vector<uint8_t>& added) {
  const size_t n = spec_.tokens.size();
  if (spec_.eos_id >= 0) stop_ids_.push_back(spec_.eos_id);
  for (std::string_view name : kStopTokenNames) {
    auto it = vocab_.find(name);
    if (it != vocab_.end() && (added[it->second] || special_[it->second])) stop_ids_.push_back(it->second);
  }
  for (int32_t id : spec_.extra_stop_ids) {
    if (id < 0 || id >= static_cast<int64_t>(n)) return out_of_range(id_message("end-of-turn id", id, n));
    stop_ids_.push_back(id);
  }
  std::sort(stop_ids_.begin(), stop_ids_.end());
  stop_ids_.erase(std::unique(stop_ids_.begin(), stop_ids_.end()), stop_ids_.end());
  return Status::ok();
}

Status Tokenizer::build_merges() {
  const size_t n = spec_.tokens.size();
  if (!spec_.merges_by_score) {
    merges_.reserve(spec_.merges.size());
    for (size_t rank = 0; rank < spec_.merges.size(); ++rank) {
      const auto [left, right] = spec_.merges[rank];
      if (left < 0 || right < 0 || left >= static_cast<int64_t>(n) || right >= static_cast<int64_t>(n)) {
        return out_of_range("merge #" + std::to_string(rank) + " names a token id out of range");
      }
      const std::string merged = spec_.tokens[left] + spec_.tokens[right];
      auto it = vocab_.find(merged);
      if (it == vocab_.end()) {
        return invalid_argument("merge #" + std::to_string(rank) + " '" + spec_.tokens[left] + " " +
                                spec_.tokens[right] + "' makes '" + merged + "', which is not in the vocabulary");
      }
      merges_.add(left, right, it->second, static_cast<int32_t>(rank));
    }
    return Status::ok();
  }
  // By score: every token that splits into two tokens is a merge; priority is its score's
  // rank, highest score first, so equal scores tie and the leftmost pair goes first (llama.cpp).
  if (spec_.scores.size() != n) {
    return invalid_argument("scores has " + std::to_string(spec_.scores.size()) + " entries for " +
                            std::to_string(n) + " tokens");
  }
  // NaN (a corrupt file) would break the ordering below: rank it last.
  auto score_of = [&](size_t id) {
    const float s = spec_.scores[id];
    return s == s ? s : -std::numeric_limits<float>::infinity();
  };
  std::vector<uint8_t> mergeable(n, 1);
  for (const AddedToken& t : spec_.added_tokens) mergeable[t.id] = 0;
  for (int b = 0; b < 256; ++b) {
    if (byte_ids_[b] >= 0) mergeable[byte_ids_[b]] = 0;
  }
  std::map<float, int32_t, std::greater<float>> score_rank;
  for (size_t id = 0; id < n; ++id) {
    if (mergeable[id]) score_rank.emplace(score_of(id), 0);
  }
  int32_t next_rank = 0;
  for (auto& [score, rank] : score_rank) rank = next_rank++;
  for (size_t id = 0; id < n; ++id) {
    const std::string& text = spec_.tokens[id];
    if (!mergeable[id] || text.size() < 2) continue;
    for (size_t cut = 1; cut < text.size(); ++cut) {
      if ((static_cast<uint8_t>(text[cut]) & 0xC0) == 0x80) continue;  // inside a character
      auto left = vocab_.find(std::string_view(text).substr(0, cut));
      auto right = vocab_.find(std::string_view(text).substr(cut));
      if (left == vocab_.end() || right == vocab_.end()) continue;
      merges_.add(left->second, right->second, static_cast<int32_t>(id), score_rank[score_of(id)]);
    }
  }
  return Status::ok();
}

std::vector<int32_t> Tokenizer::encode(std::string_view text, bool add_bos, bool parse_special) const {
  std::vector<int32_t> ids;
  ids.reserve(text.size() / 3 + 2);
  if (add_bos && spec_.bos_id >= 0) ids.push_back(spec_.bos_id);
  const std::vector<InputSegment> segments = added_.split(text, parse_special);
  for (size_t i = 0; i < segments.size(); ++i) {
    if (segments[i].id >= 0) {
      ids.push_back(segments[i].id);
    } else {
      encode_section(segments[i].text, i == 0, ids);
    }
  }
  return ids;
}

void Tokenizer::encode_section(std::string_view text, bool first_section, std::vector<int32_t>& out) const {
  const TextPipeline& p = spec_.pipeline;
  std::string buf;
  std::string_view s = text;
  if (p.nfc) {
    buf = nfc_normalize(s);
    s = buf;
  }
  if (p.spaces_to_metaspace && !s.empty()) {
    std::string m = replace_all(s, " ", kMetaspace);
    const bool prefix = p.metaspace_prefix == TextPipeline::Prefix::kAlways ||
                        (p.metaspace_prefix == TextPipeline::Prefix::kFirstSection && first_section);
    if (prefix && (p.prefix_even_if_present || !std::string_view(m).starts_with(kMetaspace))) {
      m.insert(0, kMetaspace);
    }
    buf = std::move(m);
    s = buf;
  }
  if (p.byte_level_prefix_space && !s.empty() && s[0] != ' ') {
    buf = " " + std::string(s);
    s = buf;
  }
  if (s.empty()) return;
  if (p.metaspace_split) {
    // A new word starts at each "▁" (Hugging Face's MergedWithNext split on the replacement).
    size_t start = 0;
    for (size_t pos = s.find(kMetaspace, 1); pos != std::string_view::npos; pos = s.find(kMetaspace, pos + 1)) {
      encode_word(s.substr(start, pos - start), out);
      start = pos;
    }
    encode_word(s.substr(start), out);
    return;
  }
  for (std::string_view word : pre_tokenize(p.regex, s)) encode_word(word, out);
}

void Tokenizer::encode_word(std::string_view word, std::vector<int32_t>& out) const {
  if (word.empty()) return;
  const bool byte_level = spec_.kind == TokenizerKind::kByteLevelBpe;
  if (spec_.ignore_merges) {
    auto it = byte_level ? vocab_.find(byte_level::encode(word)) : vocab_.find(word);
    if (it != vocab_.end()) {
      out.push_back(it->second);
      return;
    }
  }
  std::vector<int32_t> symbols;
  if (byte_level) {
    symbols.reserve(word.size());
    for (char c : word) symbols.push_back(byte_ids_[static_cast<uint8_t>(c)]);
  } else {
    encode_spm_symbols(word, symbols);
  }
  merges_.apply(symbols);
  out.insert(out.end(), symbols.begin(), symbols.end());
}

// One symbol per character found in the vocabulary; otherwise its bytes as <0xNN> tokens (byte
// fallback), or unk, or nothing when the vocabulary has neither.
void Tokenizer::encode_spm_symbols(std::string_view word, std::vector<int32_t>& symbols) const {
  bool prev_unk = false;
  for (size_t pos = 0; pos < word.size();) {
    size_t len = 0;
    utf8::decode_one(word, pos, &len);
    const std::string_view ch = word.substr(pos, len);
    pos += len;
    if (auto it = vocab_.find(ch); it != vocab_.end()) {
      symbols.push_back(it->second);
      prev_unk = false;
      continue;
    }
    if (spec_.byte_fallback &&
        std::all_of(ch.begin(), ch.end(), [&](char c) { return byte_ids_[static_cast<uint8_t>(c)] >= 0; })) {
      for (char c : ch) symbols.push_back(byte_ids_[static_cast<uint8_t>(c)]);
      prev_unk = false;
      continue;
    }
    if (spec_.unk_id >= 0 && !(spec_.fuse_unk && prev_unk)) symbols.push_back(spec_.unk_id);
    prev_unk = true;
  }
}

std::string Tokenizer::decode(const std::vector<int32_t>& ids, bool skip_special) const {
  std::string bytes;
  for (int32_t id : ids) {
    if (id < 0 || id >= vocab_size()) continue;
    if (skip_special && special_[id]) continue;
    bytes += token_bytes_[id];
  }
  size_t strip = 0;
  while (strip < static_cast<size_t>(spec_.decode_strip_spaces) && strip < bytes.size() && bytes[strip] == ' ') {
    ++strip;
  }
  return utf8::sanitize(std::string_view(bytes).substr(strip));
}

std::string Tokenizer::token_bytes(int32_t id) const {
  if (id < 0 || id >= vocab_size()) return {};
  return token_bytes_[id];
}

bool Tokenizer::is_special(int32_t id) const {
  return id >= 0 && id < vocab_size() && special_[id];
}

std::optional<int32_t> Tokenizer::token_id(std::string_view token_text) const {
  auto it = vocab_.find(token_text);
  if (it == vocab_.end()) return std::nullopt;
  return it->second;
}

std::string_view Tokenizer::kind() const {
  return spec_.kind == TokenizerKind::kByteLevelBpe ? "byte-level BPE" : "SentencePiece BPE";
}

}  // namespace turbine
