// GGUF tokenizer metadata as llama.cpp's converters write it: key names, token types and the
// "tokenizer.ggml.pre" names of the pre-tokenizer regexes turbine implements. Constants only;
// any thread.
#pragma once

#include <cstdint>
#include <string_view>

namespace turbine::gguf_vocab {

inline constexpr const char* kModel = "tokenizer.ggml.model";  // "gpt2" | "llama"
inline constexpr const char* kPre = "tokenizer.ggml.pre";      // "llama-bpe" | "qwen2" | ...
inline constexpr const char* kTokens = "tokenizer.ggml.tokens";
inline constexpr const char* kScores = "tokenizer.ggml.scores";
inline constexpr const char* kTokenType = "tokenizer.ggml.token_type";
inline constexpr const char* kMerges = "tokenizer.ggml.merges";  // "left right", rank order
inline constexpr const char* kBosId = "tokenizer.ggml.bos_token_id";
inline constexpr const char* kEosId = "tokenizer.ggml.eos_token_id";
inline constexpr const char* kUnkId = "tokenizer.ggml.unknown_token_id";
inline constexpr const char* kEotId = "tokenizer.ggml.eot_token_id";
inline constexpr const char* kEomId = "tokenizer.ggml.eom_token_id";
inline constexpr const char* kAddBos = "tokenizer.ggml.add_bos_token";
inline constexpr const char* kAddSpacePrefix = "tokenizer.ggml.add_space_prefix";

// llama.cpp llama_token_type.
enum TokenType : int32_t {
  kTypeNormal = 1,
  kTypeUnknown = 2,
  kTypeControl = 3,
  kTypeUserDefined = 4,
  kTypeUnused = 5,
  kTypeByte = 6,
};

inline constexpr std::string_view kPreLlama3 = "llama-bpe";
inline constexpr std::string_view kPreQwen2 = "qwen2";
inline constexpr std::string_view kPreGpt2 = "gpt-2";

}  // namespace turbine::gguf_vocab
