// Round robin (Envoy's RoundRobinLoadBalancer, unweighted): each pick takes the next candidate.
// With a fixed candidate list (no retries, no unhealthy instances) the order is exact. Any
// thread; one relaxed atomic increment per pick.
#pragma once

#include <atomic>
#include <cstdint>

#include "router/policy.h"

namespace turbine {

class RoundRobinPolicy final : public Policy {
 public:
  Pick pick(const RouteContext& ctx) override;
  PolicyKind kind() const override { return PolicyKind::kRoundRobin; }

 private:
  std::atomic<uint64_t> next_{0};
};

}  // namespace turbine
