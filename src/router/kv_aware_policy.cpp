#include "router/kv_aware_policy.h"

#include <algorithm>
#include <cmath>

#include "base/check.h"
#include "router/kv_index.h"

namespace turbine {

namespace {

const KvIndex& checked_index(const PolicyConfig& config) {
  TB_CHECK(config.kv_index != nullptr, "the KV-aware policy needs a KvIndex");
  return *config.kv_index;
}

}  // namespace

KvAwarePolicy::KvAwarePolicy(const PolicyConfig& config)
    : index_(checked_index(config)),
      overlap_weight_(config.kv_overlap_weight),
      temperature_(config.kv_temperature) {}

void KvAwarePolicy::compute_costs(const RouteContext& ctx, std::vector<double>* costs,
                                  std::vector<int64_t>* new_blocks) const {
  // Scratch kept per thread: a pick allocates nothing once warm.
  thread_local std::vector<KvOverlap> overlaps;
  const size_t n = ctx.candidates.size();
  costs->resize(n);
  new_blocks->resize(n);
  int32_t indexed_block_size = 0;  // block size `overlaps` was computed for
  for (size_t i = 0; i < n; ++i) {
    const Instance& inst = *ctx.candidates[i];
    const int32_t block_size = inst.info().block_size;
    if (block_size != indexed_block_size) {  // one lookup per block size (usually one in a pool)
      index_.overlap(ctx.prompt_blocks->hashes(block_size), &overlaps);
      indexed_block_size = block_size;
    }
    int32_t overlap = 0;
    for (const KvOverlap& o : overlaps) {
      if (o.instance == inst.key()) {
        overlap = o.num_blocks;
        break;
      }
    }
    const int64_t to_prefill = ctx.prompt_blocks->num_blocks(block_size) - overlap;
    (*costs)[i] = overlap_weight_ * double(to_prefill) + double(inst.num_blocks_in_flight());
    (*new_blocks)[i] = estimate_request_blocks(*ctx.request, block_size) - overlap;
  }
}

int32_t KvAwarePolicy::sample_softmax(const std::vector<double>& costs, Rng& rng) const {
  const auto [lo_it, hi_it] = std::minmax_element(costs.begin(), costs.end());
  const double lo = *lo_it;
  const double range = *hi_it - lo;
  // Normalised to [0, 1] so the temperature means the same whatever the prompt length or load;
  // all equal: uniform.
  thread_local std::vector<double> weights;
  weights.resize(costs.size());
  double total = 0.0;
  for (size_t i = 0; i < costs.size(); ++i) {
    const double normalised = range > 0.0 ? (costs[i] - lo) / range : 0.0;
    weights[i] = std::exp(-normalised / temperature_);
    total += weights[i];
  }
  double r = rng.uniform() * total;
  for (size_t i = 0; i < weights.size(); ++i) {
    r -= weights[i];
    if (r < 0.0) return int32_t(i);
  }
  return int32_t(weights.size() - 1);  // rounding left r at ~0
}

Pick KvAwarePolicy::pick(const RouteContext& ctx) {
  thread_local std::vector<double> costs;
  thread_local std::vector<int64_t> new_blocks;
  compute_costs(ctx, &costs, &new_blocks);
  const int32_t n = int32_t(costs.size());
  const int32_t chosen = temperature_ > 0.0
                             ? sample_softmax(costs, *ctx.rng)
                             : argmin_random_tie(n, *ctx.rng, [&](int32_t i) { return costs[size_t(i)]; });
  return Pick{chosen, false, new_blocks[size_t(chosen)]};
}

}  // namespace turbine
