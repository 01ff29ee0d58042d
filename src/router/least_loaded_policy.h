// Least loaded: the candidate with the fewest requests in flight from this router plus the
// requests its last load report said were waiting; ties at random, so a burst on an idle pool
// spreads. Stateless; any thread.
#pragma once

#include "router/policy.h"

namespace turbine {

class LeastLoadedPolicy final : public Policy {
 public:
  Pick pick(const RouteContext& ctx) override;
  PolicyKind kind() const override { return PolicyKind::kLeastLoaded; }

  // The score pick() minimises.
  static double load_of(const Instance& instance);
};

}  // namespace turbine
