#include "router/least_loaded_policy.h"

namespace turbine {

double LeastLoadedPolicy::load_of(const Instance& instance) {
  // In flight counts what this router sent (exact, immediate); waiting counts what others sent
  // and what this router's requests queue behind (reported, a little stale). Running requests
  // are not added: most of them are this router's in-flight ones already.
  return double(instance.num_in_flight()) + double(instance.load().num_waiting);
}

Pick LeastLoadedPolicy::pick(const RouteContext& ctx) {
  const int32_t n = int32_t(ctx.candidates.size());
  return Pick{argmin_random_tie(n, *ctx.rng, [&](int32_t i) { return load_of(*ctx.candidates[size_t(i)]); }),
              false};
}

}  // namespace turbine
