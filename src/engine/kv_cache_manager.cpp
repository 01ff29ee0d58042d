#include "engine/kv_cache_manager.h"

#include <algorithm>

#include "base/check.h"
#include "engine/block_hash.h"

namespace turbine {

KvCacheManager::KvCacheManager(int32_t num_blocks, int32_t block_size, bool prefix_caching)
    : block_size_(block_size), pool_(num_blocks, prefix_caching) {
  TB_CHECK(block_size > 0, "block size must be positive");
}

PrefixHit KvCacheManager::find_cached_prefix(const std::vector<int32_t>& tokens, SequenceKv& kv) {
  PrefixHit hit;
  if (!pool_.prefix_caching() || tokens.empty()) return hit;
  extend_block_hashes(tokens, block_size_, kv.block_hashes);
  const int64_t max_blocks = (int64_t(tokens.size()) - 1) / block_size_;
  for (int64_t b = 0; b < max_blocks; ++b) {
    const auto id = pool_.lookup(kv.block_hashes[size_t(b)]);
    if (!id) break;
    hit.blocks.push_back(*id);
  }
  hit.num_tokens = int64_t(hit.blocks.size()) * block_size_;
  return hit;
}

bool KvCacheManager::allocate_slots(SequenceKv& kv, int64_t num_computed, int64_t num_new,
                                    const PrefixHit* hit, std::vector<BlockCopy>& copies) {
  const bool starting = kv.block_table.empty();
  const std::vector<int32_t> no_blocks;
  const std::vector<int32_t>& hit_blocks = starting && hit ? hit->blocks : no_blocks;
  TB_CHECK(!starting || num_computed == (hit ? hit->num_tokens : 0),
           "a new sequence starts from its prefix hit");

  const int64_t held = int64_t(kv.block_table.size() + hit_blocks.size());
  const int64_t num_new_blocks = std::max<int64_t>(0, blocks_for(num_computed + num_new) - held);
  // The first written token's block, if already held and shared, is copied (copy-on-write). Only
  // that block can be shared: blocks past it are new, and full blocks before it are never written.
  const int64_t first_block = num_computed / block_size_;
  const bool copy_on_write = num_new > 0 && first_block < int64_t(kv.block_table.size()) &&
                             pool_.ref_count(kv.block_table[size_t(first_block)]) > 1;
  // Hit blocks nobody holds sit in the free queue: taking them uses up free blocks too.
  int64_t hit_from_free = 0;
  for (int32_t id : hit_blocks) hit_from_free += pool_.ref_count(id) == 0;
  if (num_new_blocks + copy_on_write + hit_from_free > pool_.num_free_blocks()) return false;

  if (!hit_blocks.empty()) {
    pool_.touch(hit_blocks);
    kv.block_table = hit_blocks;
    kv.num_cached_blocks = int64_t(hit_blocks.size());
  }
  if (copy_on_write) {
    const int32_t shared = kv.block_table[size_t(first_block)];
    const int32_t copy = (*pool_.allocate(1))[0];
    copies.push_back({shared, copy});
    pool_.release({shared});
    kv.block_table[size_t(first_block)] = copy;
  }
  if (num_new_blocks > 0) {
    const auto ids = pool_.allocate(int32_t(num_new_blocks));
    kv.block_table.insert(kv.block_table.end(), ids->begin(), ids->end());
  }
  return true;
}

void KvCacheManager::cache_computed_blocks(SequenceKv& kv, const std::vector<int32_t>& tokens,
                                           int64_t num_computed) {
  if (!pool_.prefix_caching()) return;
  const int64_t num_full = std::min<int64_t>(num_computed / block_size_, int64_t(kv.block_table.size()));
  if (num_full <= kv.num_cached_blocks) return;
  extend_block_hashes(tokens, block_size_, kv.block_hashes);
  for (int64_t b = kv.num_cached_blocks; b < num_full; ++b)
    pool_.cache_block(kv.block_table[size_t(b)], kv.block_hashes[size_t(b)]);
  kv.num_cached_blocks = num_full;
}

SequenceKv KvCacheManager::fork(const SequenceKv& parent) {
  pool_.touch(parent.block_table);
  return parent;
}

void KvCacheManager::free(SequenceKv& kv) {
  std::vector<int32_t> last_first(kv.block_table.rbegin(), kv.block_table.rend());
  pool_.release(last_first);
  kv.block_table.clear();
  kv.num_cached_blocks = 0;
}

}  // namespace turbine
