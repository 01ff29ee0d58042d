#include "router/latency_aware_policy.h"

#include <algorithm>
#include <chrono>
#include <limits>

#include "router/least_loaded_policy.h"

namespace turbine {
namespace {

// Below this fraction of its thresholds an instance counts as fast, whatever its exact EWMA:
// differences there are noise (a thread wake-up), and load is the better signal.
constexpr double kFastRatio = 0.25;

}  // namespace

LatencyAwarePolicy::LatencyAwarePolicy(const PolicyConfig& config)
    : ttft_threshold_s_(config.ttft_threshold_s),
      itl_threshold_s_(config.itl_threshold_s),
      cooldown_(std::chrono::duration_cast<Clock::duration>(
          std::chrono::duration<double>(config.probe_cooldown_s))) {}

double LatencyAwarePolicy::latency_ratio(const Instance& instance) const {
  // A negative EWMA means no measurement yet: optimistic, so a new instance gets measured.
  const double ttft = std::max(instance.ttft_ewma_s(), 0.0);
  const double itl = std::max(instance.itl_ewma_s(), 0.0);
  return std::max(ttft / ttft_threshold_s_, itl / itl_threshold_s_);
}

bool LatencyAwarePolicy::is_over(const Instance& instance) const {
  return instance.ttft_ewma_s() > ttft_threshold_s_ || instance.itl_ewma_s() > itl_threshold_s_;
}

double LatencyAwarePolicy::score(const Instance& instance) const {
  return std::max(latency_ratio(instance), kFastRatio) * (1.0 + LeastLoadedPolicy::load_of(instance));
}

Pick LatencyAwarePolicy::pick(const RouteContext& ctx) {
  const int32_t n = int32_t(ctx.candidates.size());
  bool any_fast = false;
  for (int32_t i = 0; i < n; ++i) {
    Instance& inst = *ctx.candidates[size_t(i)];
    if (!is_over(inst)) {
      if (inst.is_slow()) inst.clear_slow();  // recovered (a probe, or stragglers, brought it back)
      any_fast = true;
      continue;
    }
    if (!inst.is_slow()) {
      inst.set_slow_since(ctx.now);  // probation starts; the first probe is a cooldown away
      continue;
    }
    // Due a probe: the single request whose measurements may show it recovered.
    if (ctx.now - inst.slow_since() >= cooldown_ && inst.try_begin_probe()) return Pick{i, true};
  }
  constexpr double kExcluded = std::numeric_limits<double>::infinity();
  const int32_t best = argmin_random_tie(n, *ctx.rng, [&](int32_t i) {
    const Instance& inst = *ctx.candidates[size_t(i)];
    return any_fast && is_over(inst) ? kExcluded : score(inst);
  });
  return Pick{best, false};
}

}  // namespace turbine
