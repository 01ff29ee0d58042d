// Text <-> token ids for the models turbine serves: byte-level BPE (Llama 3, Qwen2/2.5/3) and
// SentencePiece-style BPE with byte fallback (Llama 2, Mistral), loaded from tokenizer.json or
// GGUF metadata. Immutable after load; encode/decode may be called from any thread at once.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "base/status.h"
#include "tokenizer/added_tokens.h"
#include "tokenizer/bpe_merges.h"
#include "tokenizer/incremental_detokenizer.h"  // streaming decode, part of this API
#include "tokenizer/tokenizer_spec.h"

namespace turbine {

struct Checkpoint;
class GgufFile;

class Tokenizer {
 public:
  static Result<std::shared_ptr<const Tokenizer>> from_checkpoint(const Checkpoint& ckpt);
  static Result<std::shared_ptr<const Tokenizer>> from_gguf(const GgufFile& gguf);
  // tokenizer_config_path may be empty (then bos/eos come from the post-processor and names).
  static Result<std::shared_ptr<const Tokenizer>> from_tokenizer_json(
      const std::string& tokenizer_json_path, const std::string& tokenizer_config_path);
  // Validates `spec` (ids in range, merges naming known tokens) and builds the lookup tables.
  static Result<std::shared_ptr<const Tokenizer>> from_spec(TokenizerSpec spec);

  // add_bos puts bos_id() first when there is one. parse_special: special-token text in the
  // input becomes that token; otherwise it is tokenized as plain text.
  std::vector<int32_t> encode(std::string_view text, bool add_bos, bool parse_special = true) const;
  // Valid UTF-8: ill-formed byte sequences become U+FFFD. Ids out of range are skipped.
  std::string decode(const std::vector<int32_t>& ids, bool skip_special = false) const;
  std::string token_bytes(int32_t id) const;  // raw bytes the token stands for; "" if out of range

  int32_t vocab_size() const { return static_cast<int32_t>(spec_.tokens.size()); }
  int32_t bos_id() const { return spec_.bos_id; }  // -1 if none
  int32_t eos_id() const { return spec_.eos_id; }  // -1 if none
  // eos plus the end-of-turn tokens in the vocabulary (<|eot_id|>, <|eom_id|>, <|im_end|>,
  // <|endoftext|>, <|end_of_text|>); generation stops at any of them.
  const std::vector<int32_t>& stop_ids() const { return stop_ids_; }
  bool add_bos_default() const { return spec_.add_bos; }
  bool is_special(int32_t id) const;
  // Id of a vocabulary spelling ("<|eot_id|>", "Ġthe", "▁the").
  std::optional<int32_t> token_id(std::string_view token_text) const;
  std::string_view kind() const;  // "byte-level BPE" / "SentencePiece BPE"
  // Leading spaces decode() removes from the start of the text (SentencePiece's Strip decoder).
  int32_t decode_strip_spaces() const { return spec_.decode_strip_spaces; }
  const TokenizerSpec& spec() const { return spec_; }

 private:
  explicit Tokenizer(TokenizerSpec spec) : spec_(std::move(spec)) {}
  Status build();
  Status build_byte_tables(const std::vector<uint8_t>& added);  // byte_ids_, token_bytes_
  Status build_merges();
  Status build_stop_ids(const std::vector<uint8_t>& added);
  void encode_section(std::string_view text, bool first_section, std::vector<int32_t>& out) const;
  void encode_word(std::string_view word, std::vector<int32_t>& out) const;
  void encode_spm_symbols(std::string_view word, std::vector<int32_t>& symbols) const;

  // Lets vocab_ be searched with a string_view, without building a std::string per lookup.
  struct StringViewHash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
  };

  TokenizerSpec spec_;
  std::unordered_map<std::string, int32_t, StringViewHash, std::equal_to<>> vocab_;  // spelling -> id
  std::vector<std::string> token_bytes_;            // id -> raw bytes
  std::vector<uint8_t> special_;                    // id -> is_special
  std::vector<int32_t> stop_ids_;
  BpeMerges merges_;
  AddedTokenMatcher added_;
  // Byte-level: id of each byte's spelling. SentencePiece: id of <0xNN>, or -1.
  std::vector<int32_t> byte_ids_;
};

}  // namespace turbine
