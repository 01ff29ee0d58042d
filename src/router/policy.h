// The routing policy interface (Envoy's LoadBalancer: one method, pick) and the factory for the
// four policies, one file each: round_robin_policy, least_loaded_policy, latency_aware_policy,
// kv_aware_policy. A policy object is built per model from an immutable snapshot of the pool and
// replaced with it; pick() may run on many threads at once.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "base/status.h"
#include "router/route_context.h"

namespace turbine {

class KvIndex;

enum class PolicyKind { kRoundRobin, kLeastLoaded, kLatency, kKv };

// "round-robin", "least-loaded", "latency", "kv"; anything else is kInvalidArgument.
Result<PolicyKind> parse_policy(std::string_view name);
const char* policy_name(PolicyKind kind);  // the parse_policy spelling

// The tunables every policy reads (RouterOptions carries them).
struct PolicyConfig {
  double ttft_threshold_s = 2.0;    // latency: EWMA TTFT above this puts an instance on probation
  double itl_threshold_s = 0.2;     // latency: EWMA ITL (seconds per token) likewise
  double probe_cooldown_s = 10.0;   // latency: time between probes of an instance on probation
  double kv_overlap_weight = 1.0;   // kv: cost of one block to prefill vs one block of load
  double kv_temperature = 0.0;      // kv: 0 argmin; > 0 softmax sampling over normalised costs
  const KvIndex* kv_index = nullptr;  // kv: required; outlives the policy
};

class Policy {
 public:
  virtual ~Policy() = default;
  // Chooses one of ctx.candidates (never empty). Thread-safe.
  virtual Pick pick(const RouteContext& ctx) = 0;
  virtual PolicyKind kind() const = 0;
};

std::unique_ptr<Policy> make_policy(PolicyKind kind, const PolicyConfig& config);

// Index of the smallest score, ties broken uniformly at random (reservoir sampling). Shared by
// the policies that score candidates; `score(i)` for i in [0, n).
template <typename ScoreFn>
int32_t argmin_random_tie(int32_t n, Rng& rng, ScoreFn score) {
  int32_t best = -1;
  double best_score = 0.0;
  uint64_t num_ties = 0;
  for (int32_t i = 0; i < n; ++i) {
    const double s = score(i);
    if (best < 0 || s < best_score) {
      best = i;
      best_score = s;
      num_ties = 1;
    } else if (s == best_score && rng.below(++num_ties) == 0) {
      best = i;
    }
  }
  return best;
}

}  // namespace turbine
