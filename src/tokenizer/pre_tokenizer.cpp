#include "tokenizer/pre_tokenizer.h"

#include <cstdint>

#include "tokenizer/unicode_props.h"
#include "tokenizer/utf8.h"

namespace turbine {

namespace {

// The text as code points: cps[i] starts at byte offsets[i]; offsets has one extra entry (the
// text's length) so a match [i, j) is bytes [offsets[i], offsets[j]).
struct CodepointText {
  std::vector<uint32_t> cps;
  std::vector<uint8_t> flags;
  std::vector<size_t> offsets;

  explicit CodepointText(std::string_view text) {
    cps.reserve(text.size());
    flags.reserve(text.size());
    offsets.reserve(text.size() + 1);
    for (size_t pos = 0; pos < text.size();) {
      size_t len = 0;
      const uint32_t cp = utf8::decode_one(text, pos, &len);
      offsets.push_back(pos);
      cps.push_back(cp);
      flags.push_back(codepoint_flags(cp));
      pos += len;
    }
    offsets.push_back(text.size());
  }
  size_t size() const { return cps.size(); }
  // Flags past the end read as 0 (no class), like an absent character.
  uint8_t flags_at(size_t i) const { return i < flags.size() ? flags[i] : 0; }
  uint32_t cp_at(size_t i) const { return i < cps.size() ? cps[i] : utf8::kInvalid; }
  bool letter(size_t i) const { return flags_at(i) & kCpLetter; }
  bool number(size_t i) const { return flags_at(i) & kCpNumber; }
  bool space(size_t i) const { return flags_at(i) & kCpWhitespace; }
  // [^\s\p{L}\p{N}]: any character in the text outside the three classes.
  bool other(size_t i) const { return i < flags.size() && flags[i] == 0; }
  bool newline(size_t i) const { return cp_at(i) == '\r' || cp_at(i) == '\n'; }
};

uint32_t ascii_lower(uint32_t cp) { return (cp >= 'A' && cp <= 'Z') ? cp + 32 : cp; }

// 's|'t|'re|'ve|'m|'ll|'d at p: the match length, or 0. ASCII case folding only when
// `ignore_case`: the (?i:...) group is applied to ASCII letters, as the reference
// implementation and llama.cpp do (full Unicode folding would also let U+017F match 's').
size_t match_contraction(const CodepointText& t, size_t p, bool ignore_case) {
  if (t.cp_at(p) != '\'') return 0;
  auto fold = [&](uint32_t cp) { return ignore_case ? ascii_lower(cp) : cp; };
  const uint32_t c1 = fold(t.cp_at(p + 1));
  if (c1 == 's' || c1 == 't' || c1 == 'm' || c1 == 'd') return 2;
  const uint32_t c2 = fold(t.cp_at(p + 2));
  if ((c1 == 'r' && c2 == 'e') || (c1 == 'v' && c2 == 'e') || (c1 == 'l' && c2 == 'l')) return 3;
  return 0;
}

// Whitespace alternatives at p (t.space(p) holds). `newline_alt` adds Llama 3's \s*[\r\n]+,
// tried before \s+(?!\S) and \s+. Returns the end of the match.
size_t match_whitespace(const CodepointText& t, size_t p, bool newline_alt) {
  size_t run_end = p;
  size_t last_newline_end = 0;  // one past the last \r or \n in the run; 0 if none
  while (t.space(run_end)) {
    if (t.newline(run_end)) last_newline_end = run_end + 1;
    ++run_end;
  }
  // \s*[\r\n]+: \s* backtracks to the last newline of the run, [\r\n]+ takes it.
  if (newline_alt && last_newline_end > 0) return last_newline_end;
  // \s+(?!\S): the whole run at the end of the text; otherwise the run less its last character,
  // which leaves that character to prefix the next word. A single space before \S falls to \s+.
  if (run_end == t.size()) return run_end;
  if (run_end - p >= 2) return run_end - 1;
  return run_end;
}

// One match of the GPT-2 pattern at p; returns its end.
size_t match_gpt2(const CodepointText& t, size_t p) {
  if (size_t n = match_contraction(t, p, /*ignore_case=*/false)) return p + n;
  const size_t q = t.cp_at(p) == ' ' ? p + 1 : p;  // the optional leading space of " ?X+"
  auto run = [&](size_t i, auto&& in_class) {
    while (in_class(i)) ++i;
    return i;
  };
  if (t.letter(q)) return run(q, [&](size_t i) { return t.letter(i); });
  if (t.number(q)) return run(q, [&](size_t i) { return t.number(i); });
  if (t.other(q)) return run(q, [&](size_t i) { return t.other(i); });
  if (t.space(p)) return match_whitespace(t, p, /*newline_alt=*/false);
  return p + 1;  // unreachable: every character is in one of the classes above
}

// One match of the Llama 3 / Qwen2 pattern at p; `max_digits` is 3 (Llama 3) or 1 (Qwen2).
size_t match_llama3(const CodepointText& t, size_t p, size_t max_digits) {
  if (size_t n = match_contraction(t, p, /*ignore_case=*/true)) return p + n;
  // [^\r\n\p{L}\p{N}]?\p{L}+
  size_t letters_from = p;
  if (!t.letter(p) && !t.newline(p) && !t.number(p)) letters_from = p + 1;
  if (t.letter(letters_from)) {
    size_t i = letters_from;
    while (t.letter(i)) ++i;
    return i;
  }
  // \p{N}{1,3}
  if (t.number(p)) {
    size_t i = p;
    while (t.number(i) && i - p < max_digits) ++i;
    return i;
  }
  // " ?[^\s\p{L}\p{N}]+[\r\n]*"
  const size_t q = (t.cp_at(p) == ' ' && t.other(p + 1)) ? p + 1 : p;
  if (t.other(q)) {
    size_t i = q;
    while (t.other(i)) ++i;
    while (t.newline(i)) ++i;
    return i;
  }
  if (t.space(p)) return match_whitespace(t, p, /*newline_alt=*/true);
  return p + 1;  // unreachable: every character is in one of the classes above
}

}  // namespace

PreTokenizerRegex pre_tokenizer_regex_from_pattern(std::string_view pattern) {
  if (pattern == kGpt2Pattern) return PreTokenizerRegex::kGpt2;
  if (pattern == kLlama3Pattern) return PreTokenizerRegex::kLlama3;
  if (pattern == kQwen2Pattern) return PreTokenizerRegex::kQwen2;
  return PreTokenizerRegex::kNone;
}

std::string_view pre_tokenizer_regex_pattern(PreTokenizerRegex regex) {
  switch (regex) {
    case PreTokenizerRegex::kGpt2: return kGpt2Pattern;
    case PreTokenizerRegex::kLlama3: return kLlama3Pattern;
    case PreTokenizerRegex::kQwen2: return kQwen2Pattern;
    case PreTokenizerRegex::kNone: break;
  }
  return {};
}

std::vector<std::string_view> pre_tokenize(PreTokenizerRegex regex, std::string_view text) {
  std::vector<std::string_view> words;
  if (text.empty()) return words;
  if (regex == PreTokenizerRegex::kNone) {
    words.push_back(text);
    return words;
  }
  const CodepointText t(text);
  for (size_t p = 0; p < t.size();) {
    size_t end = p + 1;
    switch (regex) {
      case PreTokenizerRegex::kGpt2: end = match_gpt2(t, p); break;
      case PreTokenizerRegex::kLlama3: end = match_llama3(t, p, 3); break;
      case PreTokenizerRegex::kQwen2: end = match_llama3(t, p, 1); break;
      case PreTokenizerRegex::kNone: break;
    }
    if (end <= p) end = p + 1;  // defensive: always make progress
    words.push_back(text.substr(t.offsets[p], t.offsets[end] - t.offsets[p]));
    p = end;
  }
  return words;
}

}  // namespace turbine
