// Per-sequence block tables over the BlockPool: reserving room for a step's new tokens, finding
// a cached prefix for a new sequence, registering full blocks for reuse, sharing blocks between
// the n choices of a request and copying a shared block before it is written (copy-on-write).
// Books only; the KV tensors live in KvCacheStorage. Engine thread only.
//
// A sequence of 37 tokens, block_size 16, 20 of them computed:
//
//   tokens     [0 ............ 15][16 ........... 31][32 .. 36]
//   table      [      b4         ][      b9         ][   b2    ]
//   computed   |<------------ 20 ------->|
//   cached     [ b4: findable    ]   (b9 fills only when token 31 is computed)
#pragma once

#include <cstdint>
#include <vector>

#include "engine/block_pool.h"

namespace turbine {

// One sequence's blocks.
struct SequenceKv {
  std::vector<int32_t> block_table;    // block of tokens [i*block_size, (i+1)*block_size)
  std::vector<uint64_t> block_hashes;  // prefix keys of the sequence's full blocks of known tokens
  int64_t num_cached_blocks = 0;       // leading blocks already registered in the prefix cache
};

// Copy the KV of block `src` into block `dst` before the step's forward pass.
struct BlockCopy {
  int32_t src;
  int32_t dst;
};

// Blocks a new sequence can start from, and the tokens they hold.
struct PrefixHit {
  std::vector<int32_t> blocks;
  int64_t num_tokens = 0;
};

class KvCacheManager {
 public:
  KvCacheManager(int32_t num_blocks, int32_t block_size, bool prefix_caching);

  // The longest run of cached full blocks at the start of `tokens`, always leaving at least one
  // token to compute (its logits start the generation). Fills kv.block_hashes.
  PrefixHit find_cached_prefix(const std::vector<int32_t>& tokens, SequenceKv& kv);

  // Makes room for tokens [num_computed, num_computed + num_new) of a sequence. A sequence that
  // holds no blocks yet first takes `hit`'s blocks (num_computed must equal hit->num_tokens then).
  // A shared block the step writes into is replaced by a private copy, recorded in `copies`.
  // Returns false, changing nothing, when the pool is short: the caller preempts or waits.
  bool allocate_slots(SequenceKv& kv, int64_t num_computed, int64_t num_new, const PrefixHit* hit,
                      std::vector<BlockCopy>& copies);

  // Registers the blocks that tokens [0, num_computed) fill, so later sequences find them.
  void cache_computed_blocks(SequenceKv& kv, const std::vector<int32_t>& tokens,
                             int64_t num_computed);

  // A new sequence holding the same blocks as `parent` (the n choices of one prompt).
  SequenceKv fork(const SequenceKv& parent);

  // Returns the sequence's blocks to the pool (tail blocks first in the eviction order).
  void free(SequenceKv& kv);

  int32_t block_size() const { return block_size_; }
  BlockPool& pool() { return pool_; }
  const BlockPool& pool() const { return pool_; }
  // Blocks a sequence of n tokens needs.
  int64_t blocks_for(int64_t num_tokens) const { return (num_tokens + block_size_ - 1) / block_size_; }

 private:
  int32_t block_size_;
  BlockPool pool_;
};

}  // namespace turbine
