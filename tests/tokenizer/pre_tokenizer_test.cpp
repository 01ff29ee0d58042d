#include "tokenizer/pre_tokenizer.h"

#include <gtest/gtest.h>

namespace turbine {
namespace {

using Words = std::vector<std::string_view>;

TEST(PreTokenizerTest, RecognisesTheShippedPatterns) {
  EXPECT_EQ(pre_tokenizer_regex_from_pattern(kLlama3Pattern), PreTokenizerRegex::kLlama3);
  EXPECT_EQ(pre_tokenizer_regex_from_pattern(kQwen2Pattern), PreTokenizerRegex::kQwen2);
  EXPECT_EQ(pre_tokenizer_regex_from_pattern(kGpt2Pattern), PreTokenizerRegex::kGpt2);
  EXPECT_EQ(pre_tokenizer_regex_from_pattern("\\s+"), PreTokenizerRegex::kNone);
}

TEST(PreTokenizerTest, Llama3Alternatives) {
  const auto r = PreTokenizerRegex::kLlama3;
  EXPECT_EQ(pre_tokenize(r, "Hello world"), (Words{"Hello", " world"}));
  // \s+(?!\S) leaves the last space to prefix the word.
  EXPECT_EQ(pre_tokenize(r, "a   b"), (Words{"a", "  ", " b"}));
  // Trailing whitespace at the end of the text is taken whole.
  EXPECT_EQ(pre_tokenize(r, "a   "), (Words{"a", "   "}));
  // \s*[\r\n]+ ends at the last newline of the run.
  EXPECT_EQ(pre_tokenize(r, "a \n \n b"), (Words{"a", " \n \n", " b"}));
  // Case-insensitive contractions.
  EXPECT_EQ(pre_tokenize(r, "I'M it'Ll"), (Words{"I", "'M", " it", "'Ll"}));
  // Digits in groups of three.
  EXPECT_EQ(pre_tokenize(r, "abc1234567"), (Words{"abc", "123", "456", "7"}));
  // One non-letter, non-digit character joins the letters after it; punctuation runs take
  // trailing newlines.
  EXPECT_EQ(pre_tokenize(r, "\tfoo(x);\n\ny"), (Words{"\tfoo", "(x", ");\n\n", "y"}));
  // "((" cannot prefix letters (two characters), so the punctuation run takes both.
  EXPECT_EQ(pre_tokenize(r, "((x"), (Words{"((", "x"}));
  EXPECT_EQ(pre_tokenize(r, " ?!"), (Words{" ?!"}));
  EXPECT_EQ(pre_tokenize(r, ""), Words{});
}

TEST(PreTokenizerTest, Qwen2SplitsEveryDigit) {
  EXPECT_EQ(pre_tokenize(PreTokenizerRegex::kQwen2, "x123"), (Words{"x", "1", "2", "3"}));
}

TEST(PreTokenizerTest, Gpt2IsCaseSensitiveAndPrefixesOneSpace) {
  const auto r = PreTokenizerRegex::kGpt2;
  EXPECT_EQ(pre_tokenize(r, "I'M it's"), (Words{"I", "'", "M", " it", "'s"}));
  EXPECT_EQ(pre_tokenize(r, " 12345 ab"), (Words{" 12345", " ab"}));
  EXPECT_EQ(pre_tokenize(r, "a\n\nb"), (Words{"a", "\n", "\n", "b"}));  // only a space prefixes
}

TEST(PreTokenizerTest, CoversInvalidUtf8) {
  const std::string text = "ab\xFF\xFEz";
  const Words words = pre_tokenize(PreTokenizerRegex::kLlama3, text);
  std::string joined;
  for (auto w : words) joined += w;
  EXPECT_EQ(joined, text);
}

}  // namespace
}  // namespace turbine
