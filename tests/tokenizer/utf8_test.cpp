#include "tokenizer/utf8.h"

#include <gtest/gtest.h>

#include "tokenizer/byte_level.h"
#include "tokenizer/unicode_props.h"

namespace turbine {
namespace {

TEST(Utf8Test, DecodesAndRejectsIllFormed) {
  size_t len = 0;
  EXPECT_EQ(utf8::decode_one("\xE2\x82\xAC", 0, &len), 0x20ACu);  // €
  EXPECT_EQ(len, 3u);
  EXPECT_EQ(utf8::decode_one("\xF0\x9F\x98\x80", 0, &len), 0x1F600u);
  EXPECT_EQ(len, 4u);
  EXPECT_EQ(utf8::decode_one("\xC0\xAF", 0, &len), utf8::kInvalid);  // overlong '/'
  EXPECT_EQ(len, 1u);
  EXPECT_EQ(utf8::decode_one("\xED\xA0\x80", 0, &len), utf8::kInvalid);  // surrogate
  EXPECT_EQ(len, 1u);
  EXPECT_EQ(utf8::decode_one("\xE2\x82", 0, &len), utf8::kInvalid);  // truncated: one subpart
  EXPECT_EQ(len, 2u);
}

TEST(Utf8Test, SanitizeReplacesMaximalSubparts) {
  EXPECT_EQ(utf8::sanitize("a\xE2\x82" "b"), "a\xEF\xBF\xBD" "b");
  EXPECT_EQ(utf8::sanitize("\x80\x80"), "\xEF\xBF\xBD\xEF\xBF\xBD");
  EXPECT_EQ(utf8::sanitize("ok €"), "ok €");
  EXPECT_TRUE(utf8::is_valid("日本"));
  EXPECT_FALSE(utf8::is_valid("\xFF"));
}

TEST(Utf8Test, CompletePrefixHoldsBackUnfinishedCharacters) {
  EXPECT_EQ(utf8::complete_prefix_length("ab"), 2u);
  EXPECT_EQ(utf8::complete_prefix_length("a\xF0\x9F\x98"), 1u);   // 3 of 4 bytes of 😀
  EXPECT_EQ(utf8::complete_prefix_length("a\xF0\x9F\x98\x80"), 5u);
  EXPECT_EQ(utf8::complete_prefix_length("a\xE2"), 1u);
  EXPECT_EQ(utf8::complete_prefix_length("a\xED\xA0"), 3u);  // surrogate start: already ill-formed
  EXPECT_EQ(utf8::complete_prefix_length("\x80"), 1u);        // stray continuation: finished
}

TEST(ByteLevelTest, Gpt2Mapping) {
  EXPECT_EQ(byte_level::encode(" hello\n"), "Ġhello\xC4\x8A");  // Ġ = U+0120, Ċ = U+010A
  EXPECT_EQ(byte_level::decode("Ġhello\xC4\x8A"), " hello\n");
  for (int b = 0; b < 256; ++b) {
    const std::string one(1, static_cast<char>(b));
    EXPECT_EQ(byte_level::decode(byte_level::encode(one)), one);
  }
}

TEST(UnicodePropsTest, ClassesAndNfc) {
  EXPECT_EQ(codepoint_flags('a'), kCpLetter);
  EXPECT_EQ(codepoint_flags(0x65E5), kCpLetter);  // 日
  EXPECT_EQ(codepoint_flags(0x00B2), kCpNumber);  // ² is No
  EXPECT_EQ(codepoint_flags(0x2167), kCpNumber);  // Ⅷ is Nl
  EXPECT_EQ(codepoint_flags(0x0085), kCpWhitespace);
  EXPECT_EQ(codepoint_flags(0x3000), kCpWhitespace);
  EXPECT_EQ(codepoint_flags(0xFEFF), 0);  // BOM is not White_Space
  EXPECT_EQ(codepoint_flags(0x0301), 0);  // combining mark: Mn
  EXPECT_EQ(nfc_normalize("cafe\xCC\x81"), "caf\xC3\xA9");
  EXPECT_EQ(nfc_normalize("\xE2\x84\xAB"), "\xC3\x85");  // U+212B ANGSTROM SIGN -> U+00C5
  EXPECT_EQ(nfc_normalize("plain"), "plain");
  EXPECT_EQ(nfc_normalize("bad\xFF"), "bad\xFF");
}

}  // namespace
}  // namespace turbine
