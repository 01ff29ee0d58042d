// Added-token splitting (leftmost-longest, lstrip/rstrip, parse_special) and SentencePiece
// details (per-section "▁" prefix, unknown characters) on a tiny tokenizer built from a spec.
#include <gtest/gtest.h>

#include "tokenizer/tokenizer.h"

namespace turbine {
namespace {

// ids: 0 <unk>, 1 <s>, 2 </s>, 3 ▁, 4 a, 5 b, 6 ▁a, 7 <mask>, 8 <m>, 9 <tool>, 10 <tool_call>
TokenizerSpec tiny_spm() {
  TokenizerSpec spec;
  spec.source = "tiny";
  spec.kind = TokenizerKind::kSentencePieceBpe;
  spec.tokens = {"<unk>", "<s>", "</s>", "▁", "a", "b", "▁a", "<mask>", "<m>", "<tool>", "<tool_call>"};
  spec.merges = {{3, 4}};
  spec.pipeline.spaces_to_metaspace = true;
  spec.pipeline.metaspace_prefix = TextPipeline::Prefix::kAlways;
  spec.decode_strip_spaces = 1;
  spec.unk_id = 0;
  spec.bos_id = 1;
  spec.eos_id = 2;
  spec.added_tokens = {{0, "<unk>", true}, {1, "<s>", true}, {2, "</s>", true}, {7, "<mask>", true, true, false},
                       {8, "<m>", false, false, true}, {9, "<tool>", false}, {10, "<tool_call>", false}};
  return spec;
}

std::shared_ptr<const Tokenizer> load(TokenizerSpec spec) {
  auto tok = Tokenizer::from_spec(std::move(spec));
  EXPECT_TRUE(tok.is_ok()) << tok.status().message();
  return tok.is_ok() ? *tok : nullptr;
}

using Ids = std::vector<int32_t>;

TEST(AddedTokensTest, SplitsSpecialTokensAndPrefixesEachSection) {
  auto tok = load(tiny_spm());
  EXPECT_EQ(tok->encode("a", false), (Ids{6}));
  EXPECT_EQ(tok->encode("a", true), (Ids{1, 6}));
  // Each run of text between added tokens gets its own "▁", as Hugging Face's Prepend does.
  EXPECT_EQ(tok->encode("a</s>a", false), (Ids{6, 2, 6}));
  EXPECT_EQ(tok->decode({6, 2, 6}), "a</s> a");
  EXPECT_EQ(tok->decode({1, 6, 2}, /*skip_special=*/true), "a");
}

TEST(AddedTokensTest, LongestMatchWins) {
  auto tok = load(tiny_spm());
  EXPECT_EQ(tok->encode("<tool_call>", false), (Ids{10}));
  EXPECT_EQ(tok->encode("<tool>", false), (Ids{9}));
}

TEST(AddedTokensTest, LstripAndRstripSwallowWhitespace) {
  auto tok = load(tiny_spm());
  // <mask> has lstrip: the space before it goes with it.
  EXPECT_EQ(tok->encode("a <mask>a", false), (Ids{6, 7, 6}));
  // <m> has rstrip: the spaces after it go with it.
  EXPECT_EQ(tok->encode("a<m>  a", false), (Ids{6, 8, 6}));
  // Without the flags the spaces stay in the text: "a " -> "▁a▁".
  EXPECT_EQ(tok->encode("a </s>", false), (Ids{6, 3, 2}));
}

TEST(AddedTokensTest, ParseSpecialFalseReadsSpecialTextAsText) {
  TokenizerSpec spec = tiny_spm();
  spec.fuse_unk = true;
  auto tok = load(std::move(spec));
  // "<s>" as text: "▁<s>" -> ▁ then <, s, > unknown, fused into one <unk>.
  EXPECT_EQ(tok->encode("<s>", false, /*parse_special=*/false), (Ids{3, 0}));
  // Non-special added tokens are still cut out.
  EXPECT_EQ(tok->encode("<tool>", false, /*parse_special=*/false), (Ids{9}));
}

TEST(AddedTokensTest, UnknownCharactersWithoutFuse) {
  auto tok = load(tiny_spm());
  EXPECT_EQ(tok->encode("ab?!", false), (Ids{6, 5, 0, 0}));
}

TEST(AddedTokensTest, MetaspaceSplitStartsAWordAtEachSpace) {
  // Without the split "▁a▁a" is one word and (▁, a) merges twice; with it the same, word by word;
  // a merge across the boundary ("a ▁" -> "a▁") may only happen without the split.
  TokenizerSpec spec = tiny_spm();
  spec.tokens.push_back("a▁");  // 11
  spec.merges = {{4, 3}, {3, 4}};  // "a ▁" outranks "▁ a"
  auto joined = load(spec);
  EXPECT_EQ(joined->encode("a a", false), (Ids{3, 11, 4}));
  spec.pipeline.metaspace_split = true;
  auto split = load(spec);
  EXPECT_EQ(split->encode("a a", false), (Ids{6, 6}));
}

TEST(AddedTokensTest, SpecValidation) {
  TokenizerSpec spec = tiny_spm();
  spec.merges.push_back({4, 5});  // "ab" is not a token
  auto tok = Tokenizer::from_spec(spec);
  ASSERT_FALSE(tok.is_ok());
  EXPECT_NE(tok.status().message().find("tiny"), std::string::npos);
  spec = tiny_spm();
  spec.eos_id = 99;
  EXPECT_EQ(Tokenizer::from_spec(spec).status().code(), ErrorCode::kOutOfRange);
  spec = tiny_spm();
  spec.added_tokens.push_back({42, "<x>", true});
  EXPECT_FALSE(Tokenizer::from_spec(spec).is_ok());
}

TEST(AddedTokensTest, MergesByScoreGoBestScoreThenLeftmost) {
  // "▁a" (score -1) outranks "ab" (score -2): "▁ab" -> ▁a, b; "ab" alone -> ab.
  TokenizerSpec spec = tiny_spm();
  spec.tokens.push_back("ab");  // 11
  spec.merges.clear();
  spec.merges_by_score = true;
  spec.scores.assign(spec.tokens.size(), 0.0f);
  spec.scores[6] = -1.0f;
  spec.scores[11] = -2.0f;
  auto tok = load(spec);
  EXPECT_EQ(tok->encode("ab", false), (Ids{6, 5}));
  spec.scores[11] = 0.5f;
  tok = load(spec);
  EXPECT_EQ(tok->encode("ab", false), (Ids{3, 11}));
}

}  // namespace
}  // namespace turbine
