// Which instances hold which KV blocks, built from the instances' KV events (blocks stored in and
// removed from their prefix caches). The KV-aware policy asks it how many leading blocks of a
// prompt each instance already holds. Thread-safe: apply()/clear() from the KV event streams'
// threads take the lock exclusively; overlap() from routing threads shares it.
#pragma once

#include <cstdint>
#include <shared_mutex>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "engine/block_pool.h"

namespace turbine {

struct KvOverlap {
  uint32_t instance = 0;   // Instance::key()
  int32_t num_blocks = 0;  // leading prompt blocks it holds
};

class KvIndex {
 public:
  // Applies one batch of an instance's events, in order. Removing a block it does not hold is a
  // no-op (events before a reconnect, or after clear()).
  void apply(uint32_t instance, const std::vector<KvEvent>& events);
  // Forgets everything about `instance`: its KV stream reconnected (it will resend what it holds)
  // or it left the pool.
  void clear(uint32_t instance);

  // For each instance holding the prompt's first block, how many blocks it holds consecutively
  // from the first. `block_hashes`: the prompt's chained block keys (extend_block_hashes), which
  // is why a block past a gap does not count: its key names the whole prefix before it, and an
  // instance holding it without its parent still has to recompute the parent. Unordered; only
  // instances with an overlap of at least 1 appear. `out` is cleared first.
  void overlap(const std::vector<uint64_t>& block_hashes, std::vector<KvOverlap>* out) const;
  std::vector<KvOverlap> overlap(const std::vector<uint64_t>& block_hashes) const;

  // Blocks the index believes `instance` holds (status pages).
  int64_t num_blocks(uint32_t instance) const;
  // Distinct block keys held by any instance.
  int64_t num_keys() const;

 private:
  void remove_locked(uint32_t instance, uint64_t hash);

  mutable std::shared_mutex mu_;
  // hash -> instances holding it: a short list (a block is on a few instances at most).
  std::unordered_map<uint64_t, std::vector<uint32_t>> holders_;
  // instance -> its hashes, for clear() without scanning every key.
  std::unordered_map<uint32_t, std::unordered_set<uint64_t>> by_instance_;
};

}  // namespace turbine
