// The `turbine` binary as a user runs it: generate streams text and reports rates, a seed
// reproduces tokens, tokenize round-trips, and a broken checkpoint is refused with its name.
#include <gtest/gtest.h>

#include <fstream>

#include "tests/engine/engine_test_util.h"

namespace turbine::testing {
namespace {

std::string turbine(const std::string& args) { return std::string(TURBINE_BINARY) + " " + args; }

TEST(CliTest, GenerateStreamsTextAndReportsRates) {
  const std::string model = make_test_model("llama", "gguf", "q8_0");
  const std::string cmd = turbine("generate --model " + model +
                                  " --prompt 'Hello there' --max-tokens 12 --temperature 0 --ignore-eos");
  auto text = run_command(cmd + " 2>/dev/null");
  auto stats = run_command(cmd + " 2>&1 >/dev/null");
  ASSERT_TRUE(text.is_ok() && stats.is_ok()) << text.status().message();
  EXPECT_EQ(text->rfind("Hello there", 0), 0u) << *text;  // the prompt is echoed, then the text
  EXPECT_GT(text->size(), std::string("Hello there\n").size());
  EXPECT_NE(stats->find("prompt: "), std::string::npos) << *stats;
  EXPECT_NE(stats->find("generation: 12 tokens"), std::string::npos) << *stats;
}

TEST(CliTest, SeedReproducesSampledText) {
  const std::string model = make_test_model("qwen3", "gguf", "q4_K");
  const std::string cmd = turbine("generate --model " + model + " --prompt 'Once upon a time' --max-tokens 16 "
                                  "--temperature 0.9 --top-p 0.95 --ignore-eos --seed ");
  auto a = run_command(cmd + "7 2>/dev/null");
  auto b = run_command(cmd + "7 2>/dev/null");
  auto c = run_command(cmd + "8 2>/dev/null");
  ASSERT_TRUE(a.is_ok() && b.is_ok() && c.is_ok());
  EXPECT_EQ(*a, *b);
  EXPECT_NE(*a, *c);  // 16 tokens from a 151k vocabulary at temperature 0.9
}

TEST(CliTest, TokenizeAndDecodeRoundTrip) {
  const std::string model = make_test_model("mistral", "hf", "f16");
  auto ids = run_command("printf 'naïve café, 東京 🚀' | " + turbine("model tokenize " + model));
  ASSERT_TRUE(ids.is_ok()) << ids.status().message();
  EXPECT_FALSE(ids->empty());
  auto text = run_command("echo '" + *ids + "' | " + turbine("model tokenize --decode " + model));
  ASSERT_TRUE(text.is_ok());
  EXPECT_EQ(*text, "naïve café, 東京 🚀");
}

TEST(CliTest, InfoDescribesTheCheckpoint) {
  const std::string model = make_test_model("qwen2", "gguf", "q6_K");
  auto out = run_command(turbine("model info " + model));
  ASSERT_TRUE(out.is_ok());
  EXPECT_NE(out->find("architecture:     qwen2"), std::string::npos) << *out;
  EXPECT_NE(out->find("q6_K"), std::string::npos);
  EXPECT_NE(out->find("chat template:    yes"), std::string::npos);
  // 2 layers x (K, V) x 2 KV heads x head_dim 64 x 2 bytes
  EXPECT_NE(out->find("KV bytes/token:   1024 (f16)"), std::string::npos) << *out;
}

TEST(CliTest, TruncatedCheckpointIsRefusedByName) {
  const std::string model = make_test_model("llama", "gguf", "q8_0");
  const std::string broken = test_model_dir() + "/truncated-" + std::to_string(getpid()) + ".gguf";
  {
    std::ifstream in(model, std::ios::binary);
    std::string head(100000, '\0');
    in.read(head.data(), std::streamsize(head.size()));
    std::ofstream(broken, std::ios::binary).write(head.data(), in.gcount());
  }
  auto out = run_command(turbine("generate --model " + broken + " --prompt hi 2>&1; echo \"exit=$?\""));
  std::filesystem::remove(broken);
  ASSERT_TRUE(out.is_ok());
  EXPECT_NE(out->find(broken), std::string::npos) << *out;
  EXPECT_NE(out->find("exit=1"), std::string::npos) << *out;
}

}  // namespace
}  // namespace turbine::testing
