// KV-aware (Dynamo's KV router cost): for each candidate
//
//   cost = overlap_weight x (prompt blocks - blocks of the prompt's prefix it already holds)
//        + blocks the requests this router has in flight there added to it
//
// i.e. the prefill it would have to do plus the load it already carries, in blocks. A request's
// load is what it adds: its prompt blocks the instance did not hold when it was routed, plus its
// expected decode blocks; a shared prefix counts once, as the instance's cache holds it once
// (counting it per request made a warm instance look busier than a cold one and sent shared
// prefixes away from their cache). Temperature
// 0 picks the cheapest (ties at random); temperature T > 0 samples softmax(-c'/T) where c' is the
// cost normalised to [0, 1] over the candidates, spreading requests among near-equal instances.
// The prompt is hashed only here, once per request and block size. Any thread.
#pragma once

#include "router/policy.h"

namespace turbine {

class KvAwarePolicy final : public Policy {
 public:
  explicit KvAwarePolicy(const PolicyConfig& config);
  Pick pick(const RouteContext& ctx) override;
  PolicyKind kind() const override { return PolicyKind::kKv; }

 private:
  // Fills costs[i] and new_blocks[i] (the load term a pick of i adds) for ctx.candidates[i].
  void compute_costs(const RouteContext& ctx, std::vector<double>* costs, std::vector<int64_t>* new_blocks) const;
  int32_t sample_softmax(const std::vector<double>& costs, Rng& rng) const;

  const KvIndex& index_;
  double overlap_weight_;
  double temperature_;
};

}  // namespace turbine
