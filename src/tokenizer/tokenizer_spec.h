// Everything that defines a tokenizer, as the loaders (tokenizer.json, GGUF metadata) produce it
// and the GGUF writer reads it back: vocabulary, merges, added tokens and the text pipeline.
// A plain value; Tokenizer::from_spec validates it and builds the lookup tables.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "tokenizer/added_tokens.h"
#include "tokenizer/pre_tokenizer.h"

namespace turbine {

// U+2581 "▁": how SentencePiece vocabularies spell a space.
inline constexpr std::string_view kMetaspace = "\xE2\x96\x81";


enum class TokenizerKind {
  kByteLevelBpe,       // GPT-2 byte-to-unicode vocabulary, regex pre-tokenizer (Llama 3, Qwen)
  kSentencePieceBpe,   // "▁" for spaces, byte fallback to <0xNN> (Llama 2, Mistral)
};

// What happens to each run of plain text between added tokens before BPE.
struct TextPipeline {
  bool nfc = false;  // NFC normalizer (Qwen)
  // SentencePiece spacing: " " becomes "▁" and a "▁" may be put in front of the section.
  bool spaces_to_metaspace = false;
  enum class Prefix { kNever, kAlways, kFirstSection };
  Prefix metaspace_prefix = Prefix::kNever;
  // The Prepend normalizer adds "▁" even when the section already starts with one; the
  // Metaspace pre-tokenizer does not.
  bool prefix_even_if_present = true;
  bool metaspace_split = false;  // Metaspace split=true: a new word starts at each "▁"
  PreTokenizerRegex regex = PreTokenizerRegex::kNone;
  bool byte_level_prefix_space = false;  // ByteLevel add_prefix_space: " " before the section
};

struct TokenizerSpec {
  std::string source;  // file the tokenizer came from, for error messages
  TokenizerKind kind = TokenizerKind::kByteLevelBpe;
  // id -> vocabulary spelling ("Ġthe", "▁the", "<0x0A>", "<|eot_id|>"); "" for an unused id.
  std::vector<std::string> tokens;
  // Merge priority: either pairs in rank order (tokenizer.json, GGUF "gpt2"), or, when
  // merges_by_score, any two tokens whose concatenation is a token merge in the order of that
  // token's score, highest first (GGUF "llama", llama.cpp's SentencePiece tokenizer).
  std::vector<std::pair<int32_t, int32_t>> merges;
  bool merges_by_score = false;
  std::vector<float> scores;  // per id; used when merges_by_score
  std::vector<AddedToken> added_tokens;
  TextPipeline pipeline;
  bool byte_fallback = false;  // a character missing from the vocabulary becomes <0xNN> tokens
  bool fuse_unk = false;       // consecutive unknown characters become one unk token
  bool ignore_merges = false;  // a word that is itself a token is not split (Llama 3)
  int32_t decode_strip_spaces = 0;  // leading spaces the decoder removes (SentencePiece "Strip")
  int32_t unk_id = -1;
  int32_t bos_id = -1;
  int32_t eos_id = -1;
  bool add_bos = false;
  std::vector<int32_t> extra_special_ids;  // tokenizer_config additional_special_tokens
  std::vector<int32_t> extra_stop_ids;     // GGUF eot/eom ids
};

}  // namespace turbine
