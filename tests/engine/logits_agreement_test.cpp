// Logits of the engine against implementations that share none of its code: llama.cpp (through
// node-llama-cpp) on GGUF files, and a NumPy forward pass on Hugging Face directories, for every
// architecture x format x weight type that make-test writes. Same random model in both formats
// must give the same logits.
#include <gtest/gtest.h>

#include <tuple>

#include "tests/engine/engine_test_util.h"

namespace turbine::testing {
namespace {

// A prompt of ids valid in every tokenizer used here (the smallest vocabulary is Mistral's 32768).
std::vector<int32_t> prompt_ids() {
  std::vector<int32_t> ids;
  for (int i = 0; i < 40; ++i) ids.push_back(int32_t((i * 7919 + 13) % 32000 + 1));
  return ids;
}

// Max |ours - reference| allowed, in units of the reference logits' standard deviation.
// F32/F16/BF16 against the NumPy float64 pass: only our f32 accumulation differs.
// Against llama.cpp, both sides quantize activations for quantized weights (8-bit blocks) and
// llama.cpp rounds activations to f16 for f16 weights, so each side's rounding shows.
double tolerance(const std::string& format, const std::string& dtype) {
  if (format == "hf") return 2e-3;
  if (dtype == "f32") return 2e-3;
  if (dtype == "f16" || dtype == "bf16") return 2e-2;
  if (dtype == "q8_0") return 4e-2;
  return 8e-2;  // q4_0, q4_K, q6_K
}

using Case = std::tuple<std::string, std::string, std::string>;  // arch, format, dtype

class LogitsAgreementTest : public ::testing::TestWithParam<Case> {};

TEST_P(LogitsAgreementTest, MatchesIndependentImplementation) {
  const auto& [arch, format, dtype] = GetParam();
  const std::string path = make_test_model(arch, format, dtype);
  const auto ids = prompt_ids();
  auto ref = reference_logits(path, ids);
  ASSERT_TRUE(ref.is_ok()) << ref.status().message();
  auto ours = engine_logits(path, ids);
  ASSERT_TRUE(ours.is_ok()) << ours.status().message();
  const LogitDiff d = compare_logits(*ours, *ref);
  RecordProperty("max_abs_over_std", std::to_string(d.max_abs / d.ref_std));
  std::printf("%s %s %s: max |diff| %.3g, reference std %.3g, ratio %.3g, top-1 agreement %.2f\n",
              arch.c_str(), format.c_str(), dtype.c_str(), d.max_abs, d.ref_std, d.max_abs / d.ref_std,
              d.top1_agreement);
  EXPECT_GT(d.ref_std, 0.1);  // the random model is not degenerate
  EXPECT_LE(d.max_abs / d.ref_std, tolerance(format, dtype));
  EXPECT_GE(d.top1_agreement, format == "hf" || dtype == "f32" ? 1.0 : 0.9);
}

std::vector<Case> all_cases() {
  std::vector<Case> cases;
  for (const char* arch : {"llama", "llama3", "mistral", "qwen2", "qwen3"}) {
    for (const char* d : {"f32", "f16", "bf16"}) cases.emplace_back(arch, "hf", d);
    for (const char* d : {"f32", "f16", "bf16", "q8_0", "q4_0", "q4_K", "q6_K"}) cases.emplace_back(arch, "gguf", d);
  }
  return cases;
}

INSTANTIATE_TEST_SUITE_P(AllArchitectures, LogitsAgreementTest, ::testing::ValuesIn(all_cases()),
                         [](const auto& info) {
                           const auto& [arch, format, dtype] = info.param;
                           return arch + "_" + format + "_" + dtype;
                         });

class SameModelBothFormatsTest : public ::testing::TestWithParam<std::string> {};

// The GGUF file permutes Q/K rows and uses interleaved RoPE; the HF directory does neither.
// Both describe one model, so the engine's logits agree to f32 rounding.
TEST_P(SameModelBothFormatsTest, GgufAndSafetensorsGiveTheSameLogits) {
  const std::string arch = GetParam();
  const auto ids = prompt_ids();
  auto gguf = engine_logits(make_test_model(arch, "gguf", "f32"), ids);
  auto hf = engine_logits(make_test_model(arch, "hf", "f32"), ids);
  ASSERT_TRUE(gguf.is_ok()) << gguf.status().message();
  ASSERT_TRUE(hf.is_ok()) << hf.status().message();
  const LogitDiff d = compare_logits(*gguf, *hf);
  EXPECT_LE(d.max_abs / d.ref_std, 1e-4);
  EXPECT_EQ(d.top1_agreement, 1.0);
}

INSTANTIATE_TEST_SUITE_P(AllArchitectures, SameModelBothFormatsTest,
                         ::testing::Values("llama", "llama3", "mistral", "qwen2", "qwen3"));

}  // namespace
}  // namespace turbine::testing
