#include "engine/sampler.h"

#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <vector>

namespace turbine {
namespace {

std::vector<float> logits_from_probs(const std::vector<double>& p) {
  std::vector<float> l;
  for (double x : p) l.push_back(float(std::log(x)));
  return l;
}

// Draws many tokens and returns the empirical frequency of each.
std::map<int32_t, double> frequencies(const std::vector<float>& logits, SamplingParams params, int draws) {
  params.seed = 1234;
  SamplerState state(params, {});
  Sampler sampler;
  std::map<int32_t, double> freq;
  for (int i = 0; i < draws; ++i) {
    std::vector<float> l = logits;
    ++freq[sampler.sample(l.data(), int64_t(l.size()), state)];
  }
  for (auto& [k, v] : freq) v /= draws;
  return freq;
}

TEST(SamplerTest, GreedyPicksFirstMaximum) {
  std::vector<float> l = {0.1f, 2.0f, -1.0f, 2.0f};
  SamplerState state({.temperature = 0.0f}, {});
  Sampler s;
  EXPECT_EQ(s.sample(l.data(), 4, state), 1);
}

TEST(SamplerTest, TemperatureOneFollowsTheDistribution) {
  const auto f = frequencies(logits_from_probs({0.5, 0.3, 0.2}), {.temperature = 1.0f}, 20000);
  EXPECT_NEAR(f.at(0), 0.5, 0.02);
  EXPECT_NEAR(f.at(1), 0.3, 0.02);
  EXPECT_NEAR(f.at(2), 0.2, 0.02);
}

TEST(SamplerTest, TopKKeepsOnlyTheKMostLikely) {
  const auto f = frequencies(logits_from_probs({0.4, 0.3, 0.2, 0.1}), {.temperature = 1.0f, .top_k = 2}, 20000);
  EXPECT_EQ(f.count(2), 0u);
  EXPECT_EQ(f.count(3), 0u);
  EXPECT_NEAR(f.at(0), 0.4 / 0.7, 0.02);
}

TEST(SamplerTest, TopPKeepsTheSmallestPrefixReachingP) {
  // 0.4 + 0.3 = 0.7 >= 0.65: tokens 0 and 1 only.
  const auto f = frequencies(logits_from_probs({0.4, 0.3, 0.2, 0.1}), {.temperature = 1.0f, .top_p = 0.65f}, 20000);
  EXPECT_EQ(f.size(), 2u);
  EXPECT_NEAR(f.at(1), 0.3 / 0.7, 0.02);
}

TEST(SamplerTest, TopPOverALargeVocabularyWidensTheHead) {
  // 1000 equally likely tokens: top_p 0.5 must keep 500 of them, more than the first head of 64.
  std::vector<float> l(1000, 0.0f);
  const auto f = frequencies(l, {.temperature = 1.0f, .top_p = 0.5f}, 20000);
  EXPECT_GT(f.size(), 400u);
  for (const auto& [token, p] : f) EXPECT_LT(token, 500);  // ties resolve to lower ids
}

TEST(SamplerTest, MinPDropsTokensBelowTheBar) {
  // p_max = 0.5; min_p 0.5 keeps p >= 0.25: tokens 0 and 1.
  const auto f = frequencies(logits_from_probs({0.5, 0.3, 0.15, 0.05}), {.temperature = 1.0f, .min_p = 0.5f}, 20000);
  EXPECT_EQ(f.size(), 2u);
}

TEST(SamplerTest, SameSeedSameTokens) {
  std::vector<float> base(50);
  for (int i = 0; i < 50; ++i) base[size_t(i)] = float(std::sin(i));
  auto run = [&](uint64_t seed) {
    SamplerState st({.temperature = 0.9f, .top_p = 0.95f, .seed = seed}, {});
    Sampler s;
    std::vector<int32_t> out;
    for (int i = 0; i < 32; ++i) {
      auto l = base;
      out.push_back(s.sample(l.data(), 50, st));
    }
    return out;
  };
  EXPECT_EQ(run(7), run(7));
  EXPECT_NE(run(7), run(8));
}

TEST(SamplerTest, RepetitionPenaltyDividesPositiveAndMultipliesNegativeLogits) {
  std::vector<float> l = {2.0f, -1.0f, 1.5f};
  SamplerState st({.temperature = 0.0f, .repetition_penalty = 2.0f}, {0, 1});
  Sampler s;
  // token 0: 2.0 / 2 = 1.0 < 1.5, so token 2 wins.
  EXPECT_EQ(s.sample(l.data(), 3, st), 2);
  EXPECT_FLOAT_EQ(l[1], -2.0f);
}

TEST(SamplerTest, PresenceAndFrequencyPenaltiesCountOutputTokens) {
  SamplerState st({.temperature = 0.0f, .presence_penalty = 0.5f, .frequency_penalty = 0.25f}, {1});
  st.accept(0);
  st.accept(0);
  Sampler s;
  std::vector<float> l = {1.0f, 0.5f};
  // token 0: 1.0 - 2 * 0.25 - 0.5 = 0.0 < 0.5; the prompt token 1 is not penalised.
  EXPECT_EQ(s.sample(l.data(), 2, st), 1);
  EXPECT_FLOAT_EQ(l[0], 0.0f);
  EXPECT_FLOAT_EQ(l[1], 0.5f);
}

TEST(SamplerTest, LogSoftmaxNormalises) {
  std::vector<float> l = {1.0f, 2.0f, 3.0f}, out(3);
  Sampler::log_softmax(l.data(), 3, out.data());
  double sum = 0;
  for (float x : out) sum += std::exp(double(x));
  EXPECT_NEAR(sum, 1.0, 1e-6);
  EXPECT_NEAR(out[2] - out[1], 1.0, 1e-6);
}

}  // namespace
}  // namespace turbine
