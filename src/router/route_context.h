// What a routing policy sees for one pick (Envoy's LoadBalancerContext): the candidate instances,
// the request, the prompt's block keys (computed on first use, for the KV-aware policy only), a
// random source and the time. Built by the router per attempt on the submitting thread (or, for
// a retry, the output thread of the attempt that failed); used on that thread only.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "base/splitmix64.h"
#include "router/instance.h"
#include "worker/worker_client.h"

namespace turbine {

// splitmix64: a few cycles per number, one per thread (router.cpp keeps a thread_local one).
class Rng {
 public:
  explicit Rng(uint64_t seed) : gen_(seed) {}
  uint64_t next() { return gen_.next(); }
  // Uniform in [0, n); n > 0. The modulo bias is below 2^-40 for any pool size.
  uint64_t below(uint64_t n) { return next() % n; }
  // Uniform in [0, 1).
  double uniform() { return double(next() >> 11) * 0x1.0p-53; }

 private:
  SplitMix64 gen_;
};

// The prompt's chained block keys (block_hash.h), computed on the first call. Instances with
// different block sizes have different keys; the last size asked for is kept.
class PromptBlocks {
 public:
  explicit PromptBlocks(const std::vector<int32_t>* prompt) : prompt_(prompt) {}
  // Keys of the prompt's full blocks of `block_size` tokens.
  const std::vector<uint64_t>& hashes(int32_t block_size);
  // Blocks the prompt occupies, the last partial one included.
  int64_t num_blocks(int32_t block_size) const {
    return (int64_t(prompt_->size()) + block_size - 1) / block_size;
  }

 private:
  const std::vector<int32_t>* prompt_;
  int32_t block_size_ = 0;  // of hashes_; 0: none computed
  std::vector<uint64_t> hashes_;
};

struct RouteContext {
  std::span<Instance* const> candidates;  // never empty; each matches the model (+version),
                                          // healthy (unless all are not), not yet tried
  const WorkerRequest* request = nullptr;
  PromptBlocks* prompt_blocks = nullptr;  // lazily hashed: touch it only when keys are needed
  Rng* rng = nullptr;
  Clock::time_point now;                  // the router's clock (injectable in tests)
};

struct Pick {
  int32_t index = -1;  // into RouteContext::candidates
  bool probe = false;  // the latency-aware policy's single probe of a slow instance: the router
                       // calls Instance::end_probe() when this attempt ends
  // Blocks the attempt adds to the instance's load, when the policy knows better than
  // estimate_request_blocks (the KV-aware one: cached prefix blocks are shared, not new). -1: estimate.
  int64_t num_new_blocks = -1;
};

// Blocks an attempt will hold on its instance: prompt blocks plus each choice's expected decode
// blocks (max_tokens; n choices share the prompt). The load term of the KV-aware cost.
int64_t estimate_request_blocks(const WorkerRequest& request, int32_t block_size);

}  // namespace turbine
