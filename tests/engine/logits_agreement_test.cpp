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

// Max |ours - reference| allowed over 40 positions x the whole vocabulary, in units of the
// reference logits' standard deviation. Observed when these bounds were set (in brackets):
// - HF f32/f16/bf16 against the NumPy float64 pass, and GGUF f32 against llama.cpp: only f32
//   summation order differs [<= 5e-6].
// - GGUF f16 / bf16: llama.cpp rounds activations to f16 / bf16 before its dot products; the
//   engine keeps them f32 (and matches the NumPy pass on the same weights) [5e-3 / 4e-2].
// - Quantized weights: both sides quantize activations to 8-bit blocks, and one rounding that
//   lands differently moves this random model's logits by up to ~0.1 std (its f16 KV cache
//   moves them as much in llama.cpp itself) [q8_0, q4_0 <= 0.12; q4_K, q6_K 2e-6 to 0.05].
double tolerance(const std::string& format, const std::string& dtype) {
  if (format == "hf" || dtype == "f32") return 1e-4;
  if (dtype == "f16") return 2e-2;
  if (dtype == "bf16") return 0.1;
  return 0.25;
}

double min_top1_agreement(const std::string& format, const std::string& dtype) {
  return format == "hf" || dtype == "f32" || dtype == "f16" ? 1.0 : 0.9;
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
  EXPECT_GE(d.top1_agreement, min_top1_agreement(format, dtype));
}

std::vector<Case> all_cases() {
  std::vector<Case> cases;
  for (const char* arch : {"llama", "llama3", "mistral", "qwen2", "qwen3"}) {
    for (const char* d : {"f32", "f16", "bf16"}) cases.emplace_back(arch, "hf", d);
    for (const char* d : {"f32", "f16", "bf16", "q8_0", "q4_0", "q4_K", "q6_K"}) cases.emplace_back(arch, "gguf", d);
  }
  return cases;
}

std::string case_name(const ::testing::TestParamInfo<Case>& info) {
  return std::get<0>(info.param) + "_" + std::get<1>(info.param) + "_" + std::get<2>(info.param);
}

INSTANTIATE_TEST_SUITE_P(AllArchitectures, LogitsAgreementTest, ::testing::ValuesIn(all_cases()), case_name);

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
