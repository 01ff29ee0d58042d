// Latency-aware: reads each instance's EWMA of time to first token and inter-token latency (fed
// by the router from the arrival times of outputs). An instance whose EWMA TTFT or ITL is over
// its threshold is on probation: it gets no new requests, except one probe per cooldown whose
// measurements update its EWMA, until it is back under both thresholds. Among the others the
// pick minimises  max(latency / threshold, 1/4) x (1 + load)  with load as least-loaded's, so
// instances comfortably fast are told apart by load alone. If every candidate is on probation
// and none is due a probe, the lowest score wins anyway: a slow answer beats none.
// Any thread; the probation state lives in the Instance (atomics).
#pragma once

#include "router/policy.h"

namespace turbine {

class LatencyAwarePolicy final : public Policy {
 public:
  explicit LatencyAwarePolicy(const PolicyConfig& config);
  Pick pick(const RouteContext& ctx) override;
  PolicyKind kind() const override { return PolicyKind::kLatency; }

  // Whether `instance`'s EWMAs are over a threshold.
  bool is_over(const Instance& instance) const;
  // max(EWMA TTFT / ttft threshold, EWMA ITL / itl threshold); 0 before any measurement.
  double latency_ratio(const Instance& instance) const;

 private:
  double score(const Instance& instance) const;

  double ttft_threshold_s_;
  double itl_threshold_s_;
  Clock::duration cooldown_;
};

}  // namespace turbine
