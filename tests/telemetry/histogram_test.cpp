#include "telemetry/histogram.h"

#include <gtest/gtest.h>

#include <cmath>

#include "telemetry/buckets.h"

namespace turbine::telemetry {
namespace {

TEST(HistogramTest, BucketsAreCumulativeAndInclusive) {
  Histogram h({1.0, 2.0, 5.0});
  for (double v : {0.5, 1.0, 1.5, 2.0, 4.9, 5.0, 6.0, 100.0}) h.observe(v);
  h.observe(std::nan(""));  // ignored
  const Histogram::Snapshot s = h.snapshot();
  EXPECT_EQ(s.cumulative, (std::vector<uint64_t>{2, 4, 6, 8}));  // le=1, 2, 5, +Inf
  EXPECT_EQ(s.count, 8u);
  EXPECT_DOUBLE_EQ(s.sum, 0.5 + 1.0 + 1.5 + 2.0 + 4.9 + 5.0 + 6.0 + 100.0);
}

TEST(HistogramTest, EmptyHistogramAndNoBounds) {
  Histogram h({0.1});
  EXPECT_EQ(h.snapshot().cumulative, (std::vector<uint64_t>{0, 0}));
  Histogram only_inf({});
  only_inf.observe(3.0);
  EXPECT_EQ(only_inf.snapshot().cumulative, (std::vector<uint64_t>{1}));
}

TEST(HistogramTest, NegativeValuesLandInTheFirstBucket) {
  Histogram h({0.0, 1.0});
  h.observe(-3.0);
  EXPECT_EQ(h.snapshot().cumulative, (std::vector<uint64_t>{1, 1, 1}));
}

TEST(HistogramDeathTest, RejectsBoundsThatDoNotIncrease) {
  EXPECT_DEATH(Histogram({1.0, 1.0}), "increase strictly");
  EXPECT_DEATH(Histogram({1.0, INFINITY}), "finite");
}

TEST(BucketsTest, MatchVllm) {
  const std::vector<double> ttft = time_to_first_token_buckets();
  ASSERT_EQ(ttft.size(), 22u);
  EXPECT_EQ(ttft.front(), 0.001);
  EXPECT_EQ(ttft[8], 0.25);
  EXPECT_EQ(ttft.back(), 2560.0);
  const std::vector<double> itl = inter_token_latency_buckets();
  ASSERT_EQ(itl.size(), 19u);
  EXPECT_EQ(itl.front(), 0.01);
  EXPECT_EQ(itl[3], 0.075);
  EXPECT_EQ(itl.back(), 80.0);
  const std::vector<double> latency = request_latency_buckets();
  ASSERT_EQ(latency.size(), 21u);
  EXPECT_EQ(latency.front(), 0.3);
  EXPECT_EQ(latency[2], 0.8);
  EXPECT_EQ(latency.back(), 7680.0);
  for (const auto* b : {&ttft, &itl, &latency}) Histogram::check_bounds(*b);  // strictly increasing
}

}  // namespace
}  // namespace turbine::telemetry
