// The books of the paged KV cache: which blocks are free, how many holders each used block has,
// and which full blocks can be found again by their prefix key (block_hash.h). No tensors here:
// the storage is KvCacheStorage, and a block id indexes both. Engine thread only.
//
// Free blocks wait in one queue, least recently freed first:
//
//   head -> [b7] <-> [b2] <-> [b9] <-> ... <-> [b4] <- tail
//           evicted first                     freed last
//
// A freed block keeps its key (it stays findable) until it is handed out again; a prefix hit on
// a free block takes it out of the queue (touch). allocate() pops from the head and forgets the
// popped block's key.
#pragma once

#include <cstdint>
#include <optional>
#include <unordered_map>
#include <vector>

namespace turbine {

// Blocks entering or leaving the prefix cache, for a KV-aware router (stored: now findable by
// `hash`; removed: no longer).
struct KvEvent {
  enum class Kind { kStored, kRemoved };
  Kind kind;
  uint64_t hash;
};

class BlockPool {
 public:
  // All blocks start free, in id order. prefix_caching false: cache_block() is a no-op.
  BlockPool(int32_t num_blocks, bool prefix_caching);

  int32_t num_blocks() const { return int32_t(blocks_.size()); }
  int32_t num_free_blocks() const { return num_free_; }
  // Fraction of blocks held by running sequences (free cached blocks count as free), as vLLM's
  // kv_cache_usage_perc.
  double usage() const { return 1.0 - double(num_free_) / double(blocks_.size()); }
  bool prefix_caching() const { return prefix_caching_; }

  // Takes n blocks from the head of the free queue, each with one holder. nullopt (and nothing
  // taken) if fewer than n are free.
  std::optional<std::vector<int32_t>> allocate(int32_t n);
  // Adds a holder to each block (a prefix hit, or a fork sharing its parent's blocks); a free
  // block leaves the free queue.
  void touch(const std::vector<int32_t>& ids);
  // Drops one holder from each block, in the given order; blocks left with none join the tail of
  // the free queue in that order, so callers pass a sequence's blocks last-first (its tail blocks,
  // the least likely to be shared, are then evicted first).
  void release(const std::vector<int32_t>& ids);

  // Makes full block `id` findable under `hash`. A key already held by another block keeps it.
  void cache_block(int32_t id, uint64_t hash);
  // The block cached under `hash`, if any.
  std::optional<int32_t> lookup(uint64_t hash) const;
  // Forgets every key (blocks keep their holders). True unless prefix caching is off.
  bool reset_prefix_cache();

  int32_t ref_count(int32_t id) const { return blocks_[size_t(id)].ref_count; }
  std::optional<uint64_t> block_hash(int32_t id) const;
  // Ids of the free queue, head first (tests check the eviction order).
  std::vector<int32_t> free_queue() const;

  // KV events since the last call (recorded only after enable_events()).
  void enable_events() { record_events_ = true; }
  std::vector<KvEvent> take_events();

 private:
  struct Block {
    int32_t ref_count = 0;
    int32_t prev = -1;       // free-queue neighbours; -1 at the ends
    int32_t next = -1;
    bool in_free_queue = false;
    bool has_hash = false;
    uint64_t hash = 0;
  };
  void push_free_tail(int32_t id);
  void unlink_free(int32_t id);
  void forget_hash(int32_t id);

  std::vector<Block> blocks_;
  int32_t head_ = -1;
  int32_t tail_ = -1;
  int32_t num_free_ = 0;
  bool prefix_caching_;
  std::unordered_map<uint64_t, int32_t> cached_;  // key -> block
  bool record_events_ = false;
  std::vector<KvEvent> events_;
};

}  // namespace turbine
