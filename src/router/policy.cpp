#include "router/policy.h"

#include <algorithm>

#include "engine/block_hash.h"
#include "router/kv_aware_policy.h"
#include "router/latency_aware_policy.h"
#include "router/least_loaded_policy.h"
#include "router/round_robin_policy.h"

namespace turbine {

Result<PolicyKind> parse_policy(std::string_view name) {
  if (name == "round-robin") return PolicyKind::kRoundRobin;
  if (name == "least-loaded") return PolicyKind::kLeastLoaded;
  if (name == "latency") return PolicyKind::kLatency;
  if (name == "kv") return PolicyKind::kKv;
  return invalid_argument("unknown routing policy '" + std::string(name) +
                          "' (expected round-robin, least-loaded, latency or kv)");
}

const char* policy_name(PolicyKind kind) {
  switch (kind) {
    case PolicyKind::kRoundRobin: return "round-robin";
    case PolicyKind::kLeastLoaded: return "least-loaded";
    case PolicyKind::kLatency: return "latency";
    case PolicyKind::kKv: return "kv";
  }
  return "?";
}

std::unique_ptr<Policy> make_policy(PolicyKind kind, const PolicyConfig& config) {
  switch (kind) {
    case PolicyKind::kRoundRobin: return std::make_unique<RoundRobinPolicy>();
    case PolicyKind::kLeastLoaded: return std::make_unique<LeastLoadedPolicy>();
    case PolicyKind::kLatency: return std::make_unique<LatencyAwarePolicy>(config);
    case PolicyKind::kKv: return std::make_unique<KvAwarePolicy>(config);
  }
  TB_CHECK(false, "unknown PolicyKind");
  return nullptr;
}

const std::vector<uint64_t>& PromptBlocks::hashes(int32_t block_size) {
  if (block_size != block_size_) {
    hashes_.clear();
    block_size_ = block_size;
    extend_block_hashes(*prompt_, block_size, hashes_);
  }
  return hashes_;
}

int64_t estimate_request_blocks(const WorkerRequest& request, int32_t block_size) {
  const int64_t prompt_blocks = (int64_t(request.prompt.size()) + block_size - 1) / block_size;
  const int64_t decode_blocks = (std::max<int64_t>(request.params.max_tokens, 0) + block_size - 1) / block_size;
  return prompt_blocks + int64_t(std::max(request.params.n, 1)) * decode_blocks;
}

}  // namespace turbine
