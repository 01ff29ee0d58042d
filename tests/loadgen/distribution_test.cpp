// Length and think-time distributions as the flags name them, and gamma arrival gaps.
#include "loadgen/distribution.h"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

namespace turbine::loadgen {
namespace {

TEST(Distribution, ParsesEveryFormAndGivesItsSpecBack) {
  for (const char* spec : {"128", "uniform:64:256", "normal:100:20", "lognormal:200:80"}) {
    auto d = Distribution::parse(spec, "--input-len");
    ASSERT_TRUE(d.is_ok()) << spec << ": " << d.status().message();
    auto again = Distribution::parse(d->spec(), "--input-len");
    ASSERT_TRUE(again.is_ok()) << d->spec();
    EXPECT_EQ(again->spec(), d->spec());
  }
  EXPECT_EQ(Distribution::parse("128", "x")->spec(), "128");
  EXPECT_EQ(Distribution::parse("uniform:64:256", "x")->spec(), "uniform:64:256");
}

TEST(Distribution, RejectsMalformedSpecsNamingTheFlag) {
  for (const char* spec : {"", "abc", "uniform:5", "uniform:9:3", "normal:1:-2", "lognormal:0:1",
                           "poisson:3", "12x", "0", "uniform:0:5", "nan"}) {
    auto d = Distribution::parse(spec, "--output-len");
    ASSERT_FALSE(d.is_ok()) << spec;
    EXPECT_NE(d.status().message().find("--output-len"), std::string::npos) << d.status().message();
  }
  // Think times may be zero.
  EXPECT_TRUE(Distribution::parse("0", "--think-time-ms", 0).is_ok());
}

TEST(Distribution, SamplesStayInRangeWithTheRightMean) {
  Rng rng(7);
  auto uniform = *Distribution::parse("uniform:10:20", "x");
  auto normal = *Distribution::parse("normal:100:30", "x");
  auto lognormal = *Distribution::parse("lognormal:200:100", "x");
  double su = 0, sn = 0, sl = 0, sl2 = 0;
  constexpr int kN = 20000;
  for (int i = 0; i < kN; ++i) {
    int64_t u = uniform.sample(rng);
    ASSERT_GE(u, 10);
    ASSERT_LE(u, 20);
    su += double(u);
    int64_t n = normal.sample(rng);
    ASSERT_GE(n, 1);  // clamped: a length is never below 1
    sn += double(n);
    double l = double(lognormal.sample(rng));
    sl += l;
    sl2 += l * l;
  }
  EXPECT_NEAR(su / kN, 15.0, 0.2);
  EXPECT_NEAR(sn / kN, 100.0, 1.5);
  const double mean = sl / kN;
  EXPECT_NEAR(mean, 200.0, 4.0);
  EXPECT_NEAR(std::sqrt(sl2 / kN - mean * mean), 100.0, 8.0);
  EXPECT_EQ(Distribution::fixed(42).sample(rng), 42);
}

TEST(ArrivalProcess, GapsHaveMeanOneOverRateAndBurstinessSetsTheirSpread) {
  for (double burstiness : {0.25, 1.0, 4.0}) {
    ArrivalProcess arrivals(/*rate=*/50.0, burstiness);
    Rng rng(11);
    std::vector<double> gaps;
    for (int i = 0; i < 40000; ++i) gaps.push_back(arrivals.next_gap_seconds(rng));
    double sum = 0, sum2 = 0;
    for (double g : gaps) {
      ASSERT_GE(g, 0.0);
      sum += g;
      sum2 += g * g;
    }
    const double mean = sum / double(gaps.size());
    const double cv = std::sqrt(sum2 / double(gaps.size()) - mean * mean) / mean;
    EXPECT_NEAR(mean, 0.02, 0.02 * 0.03) << burstiness;
    EXPECT_NEAR(cv, 1.0 / std::sqrt(burstiness), 0.05 / std::sqrt(burstiness)) << burstiness;
  }
}

}  // namespace
}  // namespace turbine::loadgen
