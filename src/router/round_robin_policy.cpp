#include "router/round_robin_policy.h"

namespace turbine {

Pick RoundRobinPolicy::pick(const RouteContext& ctx) {
  const uint64_t n = ctx.candidates.size();
  return Pick{int32_t(next_.fetch_add(1, std::memory_order_relaxed) % n), false};
}

}  // namespace turbine
