// The GGUF path: each real tokenizer.json written as GGUF metadata (as llama.cpp's converter
// does) and read back gives the same ids on the corpus; bad GGUF vocabularies give errors.
#include <functional>

#include <gtest/gtest.h>

#include "model/checkpoint.h"
#include "model/gguf.h"
#include "tokenizer/byte_level.h"
#include "tokenizer/gguf_vocab_keys.h"
#include "tokenizer/gguf_vocab_writer.h"
#include "tokenizer_test_util.h"

namespace turbine {
namespace {

namespace gv = gguf_vocab;
using testing::ids_to_string;
using testing::quoted;

Result<std::shared_ptr<const Tokenizer>> load_gguf(const GgufWriter& w, const std::string& name) {
  const std::string path = testing::scratch_dir() + "/tok_" + name + ".gguf";
  TB_RETURN_IF_ERROR(w.write(path));
  TB_ASSIGN_OR_RETURN(auto gguf, GgufFile::open(path));
  return Tokenizer::from_gguf(*gguf);
}

class GgufVocabTest : public ::testing::TestWithParam<const char*> {};

TEST_P(GgufVocabTest, SameIdsAsTokenizerJson) {
  std::string error;
  auto json_tok = testing::load_test_tokenizer(GetParam(), &error);
  if (!json_tok) GTEST_SKIP() << error;
  GgufWriter w;
  ASSERT_TRUE(write_tokenizer_to_gguf(*json_tok, w).is_ok());
  auto loaded = load_gguf(w, GetParam());
  ASSERT_TRUE(loaded.is_ok()) << loaded.status().message();
  const Tokenizer& gguf_tok = **loaded;

  EXPECT_EQ(gguf_tok.kind(), json_tok->kind());
  EXPECT_EQ(gguf_tok.vocab_size(), json_tok->vocab_size());
  EXPECT_EQ(gguf_tok.bos_id(), json_tok->bos_id());
  EXPECT_EQ(gguf_tok.eos_id(), json_tok->eos_id());
  EXPECT_EQ(gguf_tok.add_bos_default(), json_tok->add_bos_default());
  EXPECT_EQ(gguf_tok.stop_ids(), json_tok->stop_ids());
  int mismatches = 0;
  for (const std::string& text : testing::read_corpus()) {
    for (bool parse_special : {true, false}) {
      const auto a = json_tok->encode(text, true, parse_special);
      const auto b = gguf_tok.encode(text, true, parse_special);
      if (a != b) {
        ++mismatches;
        ADD_FAILURE() << quoted(text) << " parse_special=" << parse_special << "\n  json: " << ids_to_string(a)
                      << "\n  gguf: " << ids_to_string(b);
      }
      EXPECT_EQ(gguf_tok.decode(b), json_tok->decode(a));
      EXPECT_EQ(gguf_tok.decode(b, true), json_tok->decode(a, true));
    }
  }
  EXPECT_EQ(mismatches, 0);
}

INSTANTIATE_TEST_SUITE_P(RealTokenizers, GgufVocabTest, ::testing::Values("llama3", "qwen3", "mistral"),
                         [](const auto& info) { return std::string(info.param); });

TEST(GgufVocabWriterTest, RefusesWhatGgufCannotSay) {
  std::string error;
  auto tok = testing::load_test_tokenizer("mistral-metaspace", &error);
  if (!tok) GTEST_SKIP() << error;
  GgufWriter w;
  // Metaspace adds no "▁" before text that already starts with a space; llama.cpp always does.
  EXPECT_EQ(write_tokenizer_to_gguf(*tok, w).code(), ErrorCode::kUnsupported);
}

TEST(GgufCheckpointTest, FromCheckpointPicksTheSource) {
  std::string error;
  auto json_tok = testing::load_test_tokenizer("qwen3", &error);
  if (!json_tok) GTEST_SKIP() << error;
  const std::string dir = testing::test_tokenizer_dir("qwen3");
  Checkpoint ckpt;
  ckpt.path = dir;
  EXPECT_EQ(Tokenizer::from_checkpoint(ckpt).status().code(), ErrorCode::kNotFound);
  ckpt.tokenizer_json_path = dir + "/tokenizer.json";
  ckpt.tokenizer_config_path = dir + "/tokenizer_config.json";
  auto from_json = Tokenizer::from_checkpoint(ckpt);
  ASSERT_TRUE(from_json.is_ok()) << from_json.status().message();
  EXPECT_EQ((*from_json)->eos_id(), json_tok->eos_id());

  GgufWriter w;
  ASSERT_TRUE(write_tokenizer_to_gguf(*json_tok, w).is_ok());
  const std::string path = testing::scratch_dir() + "/tok_ckpt.gguf";
  ASSERT_TRUE(w.write(path).is_ok());
  auto gguf = GgufFile::open(path);
  ASSERT_TRUE(gguf.is_ok()) << gguf.status().message();
  ckpt.gguf = *gguf;
  auto from_gguf = Tokenizer::from_checkpoint(ckpt);
  ASSERT_TRUE(from_gguf.is_ok()) << from_gguf.status().message();
  EXPECT_EQ((*from_gguf)->spec().source, path);
  EXPECT_EQ((*from_gguf)->encode("Hello, 世界", false), json_tok->encode("Hello, 世界", false));
}

// A small valid "gpt2" vocabulary: the 256 byte spellings, "ab" from merge "a b", <|end|>.
GgufWriter tiny_gpt2() {
  std::vector<std::string> tokens;
  for (int b = 0; b < 256; ++b) tokens.push_back(byte_level::encode(std::string(1, static_cast<char>(b))));
  tokens.push_back("ab");
  tokens.push_back("<|end|>");
  std::vector<int32_t> types(tokens.size(), gv::kTypeNormal);
  types.back() = gv::kTypeControl;
  GgufWriter w;
  w.set_string(gv::kModel, "gpt2");
  w.set_string(gv::kPre, "llama-bpe");
  w.set_string_array(gv::kTokens, tokens);
  w.set_int32_array(gv::kTokenType, types);
  w.set_string_array(gv::kMerges, {"a b"});
  w.set_uint32(gv::kEosId, 257);
  return w;
}

TEST(GgufVocabErrorsTest, TinyVocabularyLoads) {
  auto tok = load_gguf(tiny_gpt2(), "tiny");
  ASSERT_TRUE(tok.is_ok()) << tok.status().message();
  EXPECT_EQ((*tok)->encode("ab<|end|>", false), (std::vector<int32_t>{256, 257}));
  EXPECT_EQ((*tok)->eos_id(), 257);
}

TEST(GgufVocabErrorsTest, BadVocabulariesAreErrors) {
  struct Case {
    const char* name;
    std::function<void(GgufWriter&)> damage;
    const char* expect;  // in the message
  };
  const std::vector<Case> cases = {
      {"no_model", [](GgufWriter& w) { w.set_string(gv::kModel, "bert"); }, "bert"},
      {"tokens_type", [](GgufWriter& w) { w.set_int32_array(gv::kTokens, {1, 2}); }, gv::kTokens},
      {"merge_unknown", [](GgufWriter& w) { w.set_string_array(gv::kMerges, {"a zz"}); }, "not in the vocabulary"},
      {"merge_result", [](GgufWriter& w) { w.set_string_array(gv::kMerges, {"b c"}); }, "not in the vocabulary"},
      {"merge_form", [](GgufWriter& w) { w.set_string_array(gv::kMerges, {"ab"}); }, "separated"},
      {"eos_range", [](GgufWriter& w) { w.set_uint32(gv::kEosId, 100000); }, "out of range"},
      {"bos_type", [](GgufWriter& w) { w.set_string(gv::kBosId, "one"); }, gv::kBosId},
      {"types_size", [](GgufWriter& w) { w.set_int32_array(gv::kTokenType, {1}); }, "entries"},
      {"pre", [](GgufWriter& w) { w.set_string(gv::kPre, "mystery"); }, "mystery"},
      {"llama_no_scores", [](GgufWriter& w) { w.set_string(gv::kModel, "llama"); }, gv::kScores},
  };
  for (const Case& c : cases) {
    GgufWriter w = tiny_gpt2();
    c.damage(w);
    auto tok = load_gguf(w, c.name);
    ASSERT_FALSE(tok.is_ok()) << c.name;
    EXPECT_NE(tok.status().message().find(c.expect), std::string::npos) << c.name << ": " << tok.status().message();
    EXPECT_NE(tok.status().message().find(".gguf"), std::string::npos) << c.name << ": " << tok.status().message();
  }
}

}  // namespace
}  // namespace turbine
