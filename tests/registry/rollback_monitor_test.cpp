// RollbackMonitor with exact times: the error-rate and p99 triggers, min_requests, the window
// sliding past old outcomes, and the versions that are never judged.
#include "registry/rollback_monitor.h"

#include <gtest/gtest.h>

namespace turbine::registry {
namespace {

using namespace std::chrono_literals;

const MonitorClock::time_point t0 = MonitorClock::time_point{} + 1000s;

RegistrySnapshot canary_snapshot(RollbackPolicy policy = {}) {
  RegistrySnapshot s;
  ModelEntry e;
  e.name = "llama";
  e.versions = {{.version = "v1", .weight = 90, .stable = true}, {.version = "v2", .weight = 10}};
  e.rollback = policy;
  s.models[e.name] = e;
  return s;
}

// `n` outcomes of (llama, version) at `at`, the first `num_errors` of them errors.
void record_n(RollbackMonitor& m, const std::string& version, int n, int num_errors, double latency_s,
              MonitorClock::time_point at) {
  for (int i = 0; i < n; ++i) m.record("llama", version, i >= num_errors, latency_s, at);
}

TEST(RollbackMonitorTest, ErrorRateAboveMarginRollsBack) {
  RollbackMonitor m;
  record_n(m, "v1", 100, 1, 0.1, t0);   // 1%
  record_n(m, "v2", 100, 10, 0.1, t0);  // 10% > 1% + 5%
  auto decisions = m.evaluate(canary_snapshot(), t0 + 1s);
  ASSERT_EQ(decisions.size(), 1u);
  EXPECT_EQ(decisions[0].model, "llama");
  EXPECT_EQ(decisions[0].version, "v2");
  EXPECT_EQ(decisions[0].time, t0 + 1s);
  EXPECT_NE(decisions[0].reason.find("error rate 0.100 (10/100)"), std::string::npos) << decisions[0].reason;
  EXPECT_NE(decisions[0].reason.find("stable v1's 0.010 (1/100)"), std::string::npos) << decisions[0].reason;
  // Decided once: its outcomes are forgotten.
  EXPECT_EQ(m.stats("llama", "v2", 60, t0 + 1s).num_requests, 0);
  EXPECT_TRUE(m.evaluate(canary_snapshot(), t0 + 2s).empty());
}

TEST(RollbackMonitorTest, ErrorRateWithinMarginStays) {
  RollbackMonitor m;
  record_n(m, "v1", 100, 1, 0.1, t0);
  record_n(m, "v2", 100, 6, 0.1, t0);  // 6% = 1% + 5%: not above
  EXPECT_TRUE(m.evaluate(canary_snapshot(), t0 + 1s).empty());
}

TEST(RollbackMonitorTest, P99AboveMarginRollsBack) {
  RollbackMonitor m;
  record_n(m, "v1", 100, 0, 0.100, t0);
  record_n(m, "v2", 98, 0, 0.100, t0);
  record_n(m, "v2", 2, 0, 0.160, t0);  // p99 (nearest rank 99 of 100) = 160 ms > 100 ms x 1.5
  auto decisions = m.evaluate(canary_snapshot(), t0 + 1s);
  ASSERT_EQ(decisions.size(), 1u);
  EXPECT_EQ(decisions[0].version, "v2");
  EXPECT_NE(decisions[0].reason.find("p99 latency 160.0 ms"), std::string::npos) << decisions[0].reason;
  EXPECT_NE(decisions[0].reason.find("150.0 ms"), std::string::npos) << decisions[0].reason;
}

TEST(RollbackMonitorTest, P99JitterOnFastRequestsIsNoReasonToRollBack) {
  RollbackMonitor m;
  record_n(m, "v1", 100, 0, 0.002, t0);
  record_n(m, "v2", 100, 0, 0.009, t0);  // 4.5x slower, but by 7 ms: under the 50 ms floor
  EXPECT_TRUE(m.evaluate(canary_snapshot(), t0 + 1s).empty());
  record_n(m, "v2", 100, 0, 0.060, t0);  // now 58 ms over: both the ratio and the floor
  EXPECT_EQ(m.evaluate(canary_snapshot(), t0 + 1s).size(), 1u);
}

TEST(RollbackMonitorTest, P99WithinMarginStays) {
  RollbackMonitor m;
  record_n(m, "v1", 100, 0, 0.100, t0);
  record_n(m, "v2", 100, 0, 0.140, t0);  // 140 ms < 150 ms
  EXPECT_TRUE(m.evaluate(canary_snapshot(), t0 + 1s).empty());
  WindowStats s = m.stats("llama", "v2", 60, t0 + 1s);
  EXPECT_EQ(s.num_requests, 100);
  EXPECT_FLOAT_EQ(s.p99_latency_s, 0.140f);
}

TEST(RollbackMonitorTest, BelowMinRequestsNoTrigger) {
  RollbackMonitor m;
  record_n(m, "v1", 100, 0, 0.1, t0);
  record_n(m, "v2", 19, 19, 0.1, t0);  // all errors, but 19 < 20
  EXPECT_TRUE(m.evaluate(canary_snapshot(), t0 + 1s).empty());
  // The stable version below min_requests: no baseline, no judgement either.
  RollbackMonitor m2;
  record_n(m2, "v1", 19, 0, 0.1, t0);
  record_n(m2, "v2", 100, 100, 0.1, t0);
  EXPECT_TRUE(m2.evaluate(canary_snapshot(), t0 + 1s).empty());
  // One more request makes the difference.
  record_n(m2, "v1", 1, 0, 0.1, t0);
  EXPECT_EQ(m2.evaluate(canary_snapshot(), t0 + 1s).size(), 1u);
}

TEST(RollbackMonitorTest, OldOutcomesFallOutOfTheWindow) {
  RollbackMonitor m;
  record_n(m, "v2", 100, 100, 0.1, t0);  // a bad minute...
  record_n(m, "v1", 100, 0, 0.1, t0 + 61s);
  record_n(m, "v2", 100, 0, 0.1, t0 + 61s);  // ...61 s ago, out of the 60 s window
  EXPECT_TRUE(m.evaluate(canary_snapshot(), t0 + 61s).empty());
  EXPECT_EQ(m.stats("llama", "v2", 60, t0 + 61s).num_requests, 100);
  EXPECT_EQ(m.stats("llama", "v2", 60, t0 + 61s).num_errors, 0);
  // The same outcomes inside a longer window do trigger.
  RollbackMonitor m2;
  record_n(m2, "v2", 100, 100, 0.1, t0);
  record_n(m2, "v1", 100, 0, 0.1, t0 + 61s);
  record_n(m2, "v2", 100, 0, 0.1, t0 + 61s);
  EXPECT_EQ(m2.evaluate(canary_snapshot({.window_seconds = 120}), t0 + 61s).size(), 1u);
}

TEST(RollbackMonitorTest, StableIsNeverRolledBack) {
  RollbackMonitor m;
  record_n(m, "v1", 100, 100, 5.0, t0);  // the stable version is all errors and slow
  record_n(m, "v2", 100, 0, 0.1, t0);
  EXPECT_TRUE(m.evaluate(canary_snapshot(), t0 + 1s).empty());
}

TEST(RollbackMonitorTest, DisabledPolicyUnweightedAndRolledBackVersionsAreNotJudged) {
  RollbackMonitor m;
  auto bad = [&] {
    record_n(m, "v1", 100, 0, 0.1, t0);
    record_n(m, "v2", 100, 100, 0.1, t0);
  };
  bad();
  EXPECT_TRUE(m.evaluate(canary_snapshot({.enabled = false}), t0 + 1s).empty());
  RegistrySnapshot unweighted = canary_snapshot();
  unweighted.models["llama"].versions[1].weight = 0;
  EXPECT_TRUE(m.evaluate(unweighted, t0 + 1s).empty());
  RegistrySnapshot rolled_back = unweighted;
  rolled_back.models["llama"].versions[1].state = VersionState::kRolledBack;
  EXPECT_TRUE(m.evaluate(rolled_back, t0 + 1s).empty());
  // No stable version: no baseline.
  RegistrySnapshot no_stable = canary_snapshot();
  no_stable.models["llama"].versions[0].stable = false;
  EXPECT_TRUE(m.evaluate(no_stable, t0 + 1s).empty());
  EXPECT_EQ(m.evaluate(canary_snapshot(), t0 + 1s).size(), 1u);
}

TEST(RollbackMonitorTest, UnlistedVersionsAreDropped) {
  RollbackMonitor m;
  m.record("llama", "v9", true, 0.1, t0);
  m.record("other", "v1", true, 0.1, t0);
  EXPECT_EQ(m.stats("llama", "v9", 60, t0).num_requests, 1);
  m.evaluate(canary_snapshot(), t0);
  EXPECT_EQ(m.stats("llama", "v9", 60, t0).num_requests, 0);
  EXPECT_EQ(m.stats("other", "v1", 60, t0).num_requests, 0);
}

TEST(RollbackMonitorTest, SampleCapDropsOldest) {
  RollbackMonitor m(/*max_samples_per_version=*/10);
  record_n(m, "v2", 10, 10, 0.1, t0);
  record_n(m, "v2", 10, 0, 0.1, t0 + 1s);
  WindowStats s = m.stats("llama", "v2", 60, t0 + 1s);
  EXPECT_EQ(s.num_requests, 10);
  EXPECT_EQ(s.num_errors, 0);
}

}  // namespace
}  // namespace turbine::registry
