// Pre-tokenizer regex splits, hand-written to match these exact patterns (as llama.cpp's
// unicode.cpp does) rather than run through a regex engine: the three patterns below are the ones
// real byte-level BPE tokenizers ship, each is a handful of alternatives, and a matcher per
// pattern is exact (alternation order, greedy runs, the \s+(?!\S) backtrack) and allocation-free.
// A tokenizer naming any other pattern is refused at load time. Pure functions; any thread.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace turbine {

enum class PreTokenizerRegex {
  kNone,    // the whole section is one word (SentencePiece-style vocabularies)
  kGpt2,    // 's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
  kLlama3,  // (?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+
  kQwen2,   // as kLlama3 with \p{N} (one digit per word)
};

inline constexpr std::string_view kGpt2Pattern =
    R"('s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+)";
inline constexpr std::string_view kLlama3Pattern =
    R"((?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)";
inline constexpr std::string_view kQwen2Pattern =
    R"((?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)";

// The regex a tokenizer.json Split pattern names; kNone when it is none of the above.
PreTokenizerRegex pre_tokenizer_regex_from_pattern(std::string_view pattern);
std::string_view pre_tokenizer_regex_pattern(PreTokenizerRegex regex);

// Splits `text` into the words the regex matches, in order; together they cover `text` exactly.
// Bytes that are not valid UTF-8 are treated as characters outside \s, \p{L} and \p{N}.
std::vector<std::string_view> pre_tokenize(PreTokenizerRegex regex, std::string_view text);

}  // namespace turbine
