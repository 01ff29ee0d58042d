#include "tokenizer/incremental_detokenizer.h"

#include <gtest/gtest.h>

#include "tokenizer/utf8.h"
#include "tokenizer_test_util.h"

namespace turbine {
namespace {

std::shared_ptr<const Tokenizer> load_or_skip(const char* name, std::string* error) {
  return testing::load_test_tokenizer(name, error);
}

TEST(IncrementalDetokenizerTest, ByteFallbackCharacterHeldUntilComplete) {
  std::string error;
  auto tok = load_or_skip("mistral", &error);
  if (!tok) GTEST_SKIP() << error;
  // U+1F980 (crab) is not in the Mistral vocabulary: "▁" then four <0xNN> byte tokens.
  const std::vector<int32_t> ids = tok->encode("🦀", false);
  ASSERT_EQ(ids.size(), 5u);
  EXPECT_EQ(tok->token_bytes(ids[1]), "\xF0");
  IncrementalDetokenizer detok(*tok);
  std::vector<std::string> out;
  for (int32_t id : ids) out.push_back(detok.push(id));
  EXPECT_EQ(out, (std::vector<std::string>{"", "", "", "", "🦀"}));  // leading "▁" stripped
  EXPECT_EQ(detok.flush(), "");
}

TEST(IncrementalDetokenizerTest, SentencePieceStripsOnlyTheFirstSpace) {
  std::string error;
  auto tok = load_or_skip("mistral", &error);
  if (!tok) GTEST_SKIP() << error;
  const std::vector<int32_t> ids = tok->encode("Hello world", true);
  IncrementalDetokenizer detok(*tok);
  std::string text;
  for (int32_t id : ids) text += detok.push(id);  // <s> is skipped as special
  EXPECT_EQ(text + detok.flush(), "Hello world");
}

TEST(IncrementalDetokenizerTest, EmojiAcrossByteLevelTokens) {
  std::string error;
  auto tok = load_or_skip("llama3", &error);
  if (!tok) GTEST_SKIP() << error;
  const std::string text = "ok 🦀🏳️‍🌈 done";
  const std::vector<int32_t> ids = tok->encode(text, false);
  IncrementalDetokenizer detok(*tok);
  std::string joined;
  bool held_back = false;  // some token ended inside a character
  for (int32_t id : ids) {
    const std::string piece = detok.push(id);
    EXPECT_TRUE(utf8::is_valid(piece)) << testing::quoted(piece);
    EXPECT_EQ(piece.find("\xEF\xBF\xBD"), std::string::npos);  // no U+FFFD on the way
    held_back |= piece.empty();
    joined += piece;
  }
  EXPECT_TRUE(held_back);
  EXPECT_EQ(joined + detok.flush(), text);
}

TEST(IncrementalDetokenizerTest, FlushReplacesAnUnfinishedCharacter) {
  std::string error;
  auto tok = load_or_skip("mistral", &error);
  if (!tok) GTEST_SKIP() << error;
  const std::vector<int32_t> ids = tok->encode("x🦀", false);  // ▁x, then 4 byte tokens
  ASSERT_EQ(ids.size(), 5u);
  IncrementalDetokenizer detok(*tok);
  EXPECT_EQ(detok.push(ids[0]), "x");
  EXPECT_EQ(detok.push(ids[1]), "");
  EXPECT_EQ(detok.push(ids[2]), "");
  EXPECT_EQ(detok.flush(), "\xEF\xBF\xBD");  // F0 9F: one maximal subpart, one U+FFFD
  EXPECT_EQ(tok->decode({ids[0], ids[1], ids[2]}), "x\xEF\xBF\xBD");
}

TEST(IncrementalDetokenizerTest, SkipSpecialChoice) {
  std::string error;
  auto tok = load_or_skip("llama3", &error);
  if (!tok) GTEST_SKIP() << error;
  const int32_t eot = tok->token_id("<|eot_id|>").value();
  IncrementalDetokenizer skipping(*tok);
  EXPECT_EQ(skipping.push(eot), "");
  IncrementalDetokenizer keeping(*tok, /*skip_special=*/false);
  EXPECT_EQ(keeping.push(eot), "<|eot_id|>");
  EXPECT_EQ(keeping.push(-5), "");  // out of range: ignored
}

}  // namespace
}  // namespace turbine
