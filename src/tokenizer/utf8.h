// UTF-8 decoding and repair for the tokenizer: walking text by code point, finding where a byte
// stream stops being complete, and replacing ill-formed bytes with U+FFFD. Pure functions; any
// thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace turbine::utf8 {

inline constexpr uint32_t kReplacementChar = 0xFFFD;
inline constexpr uint32_t kInvalid = 0xFFFFFFFF;  // decode_one() on an ill-formed sequence

// Decodes the code point starting at text[pos] and sets *len to its length in bytes (1..4).
// An ill-formed sequence (stray continuation, overlong form, surrogate, truncation) returns
// kInvalid with *len set to its maximal subpart (WHATWG/Unicode "maximal subpart" practice,
// which is what TextDecoder and Hugging Face's decoders use): at least 1.
uint32_t decode_one(std::string_view text, size_t pos, size_t* len);

// Appends the UTF-8 encoding of `cp` (must be <= 0x10FFFF and not a surrogate).
void append(std::string& out, uint32_t cp);

bool is_valid(std::string_view text);

// `text` with each ill-formed subsequence replaced by U+FFFD.
std::string sanitize(std::string_view text);

// Length of the longest prefix of `bytes` after which no code point is left unfinished: bytes
// past it are the start of a valid sequence still waiting for continuation bytes. Ill-formed
// bytes count as finished (they will be replaced, waiting cannot fix them).
size_t complete_prefix_length(std::string_view bytes);

}  // namespace turbine::utf8
