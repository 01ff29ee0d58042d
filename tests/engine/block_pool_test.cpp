// BlockPool and KvCacheManager keep exact books: which block ids a sequence gets, the free
// queue's eviction order, prefix hits through the chained block keys, and copy-on-write.
#include <gtest/gtest.h>

#include "engine/block_hash.h"
#include "engine/block_pool.h"
#include "engine/kv_cache_manager.h"

namespace turbine {
namespace {

using Ids = std::vector<int32_t>;

std::vector<int32_t> tokens(int n, int salt = 0) {
  std::vector<int32_t> t;
  for (int i = 0; i < n; ++i) t.push_back(1000 * salt + i);
  return t;
}

TEST(BlockPool, AllocatesFromTheHeadAndFreesToTheTail) {
  BlockPool pool(6, true);
  EXPECT_EQ(pool.free_queue(), (Ids{0, 1, 2, 3, 4, 5}));
  auto a = pool.allocate(2);
  ASSERT_TRUE(a);
  EXPECT_EQ(*a, (Ids{0, 1}));
  auto b = pool.allocate(3);
  EXPECT_EQ(*b, (Ids{2, 3, 4}));
  EXPECT_FALSE(pool.allocate(2));  // one left
  EXPECT_EQ(pool.num_free_blocks(), 1);
  pool.release({1, 0});  // a sequence frees last block first
  EXPECT_EQ(pool.free_queue(), (Ids{5, 1, 0}));
  EXPECT_EQ(*pool.allocate(2), (Ids{5, 1}));
  EXPECT_DOUBLE_EQ(pool.usage(), 5.0 / 6.0);
}

TEST(BlockPool, SharedBlocksFreeOnlyWithTheirLastHolder) {
  BlockPool pool(4, true);
  auto a = *pool.allocate(2);
  pool.touch(a);
  EXPECT_EQ(pool.ref_count(0), 2);
  pool.release(a);
  EXPECT_EQ(pool.num_free_blocks(), 2);
  pool.release(a);
  EXPECT_EQ(pool.free_queue(), (Ids{2, 3, 0, 1}));
}

TEST(BlockPool, FreedCachedBlockStaysFindableUntilReused) {
  BlockPool pool(3, true);
  pool.enable_events();
  auto a = *pool.allocate(1);  // block 0
  pool.cache_block(a[0], 42);
  pool.release(a);
  EXPECT_EQ(pool.lookup(42), 0);   // free, still findable
  pool.touch({0});                 // a prefix hit takes it out of the free queue
  EXPECT_EQ(pool.free_queue(), (Ids{1, 2}));
  pool.release({0});
  EXPECT_EQ(pool.free_queue(), (Ids{1, 2, 0}));
  EXPECT_EQ(*pool.allocate(2), (Ids{1, 2}));
  EXPECT_EQ(pool.lookup(42), 0);
  EXPECT_EQ(*pool.allocate(1), (Ids{0}));  // reused: its key is forgotten
  EXPECT_FALSE(pool.lookup(42));
  const auto events = pool.take_events();
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].kind, KvEvent::Kind::kStored);
  EXPECT_EQ(events[1].kind, KvEvent::Kind::kRemoved);
  EXPECT_EQ(events[1].hash, 42u);
}

TEST(BlockPool, WithoutPrefixCachingNothingIsFindable) {
  BlockPool pool(2, false);
  pool.cache_block(0, 7);
  EXPECT_FALSE(pool.lookup(7));
  EXPECT_FALSE(pool.reset_prefix_cache());
}

TEST(BlockHash, KeysChainThroughTheParent) {
  const auto t = tokens(8);
  std::vector<uint64_t> h;
  extend_block_hashes(t, 4, h);
  ASSERT_EQ(h.size(), 2u);
  EXPECT_EQ(h[0], hash_block_tokens(kRootBlockHash, t.data(), 4));
  EXPECT_EQ(h[1], hash_block_tokens(h[0], t.data() + 4, 4));
  // The same second block after a different first block has a different key.
  auto u = t;
  u[0] = 99;
  std::vector<uint64_t> g;
  extend_block_hashes(u, 4, g);
  EXPECT_NE(g[1], h[1]);
}

TEST(KvCacheManager, PrefixHitReusesFullBlocksAndLeavesOneTokenToCompute) {
  KvCacheManager kv(10, 4, true);
  const auto prompt = tokens(10);  // blocks: [0..3] [4..7] [8 9]
  SequenceKv a;
  std::vector<BlockCopy> copies;
  PrefixHit none = kv.find_cached_prefix(prompt, a);
  EXPECT_EQ(none.num_tokens, 0);
  ASSERT_TRUE(kv.allocate_slots(a, 0, 10, &none, copies));
  EXPECT_EQ(a.block_table, (Ids{0, 1, 2}));
  kv.cache_computed_blocks(a, prompt, 10);
  EXPECT_EQ(a.num_cached_blocks, 2);

  SequenceKv b;
  PrefixHit hit = kv.find_cached_prefix(prompt, b);
  EXPECT_EQ(hit.blocks, (Ids{0, 1}));
  EXPECT_EQ(hit.num_tokens, 8);
  ASSERT_TRUE(kv.allocate_slots(b, 8, 2, &hit, copies));
  EXPECT_EQ(b.block_table, (Ids{0, 1, 3}));
  EXPECT_EQ(kv.pool().ref_count(0), 2);

  // A prompt of exactly two blocks still computes its last token: only one block is a hit.
  SequenceKv c;
  EXPECT_EQ(kv.find_cached_prefix(tokens(8), c).num_tokens, 4);
  // A different first block: no hit at all, though the second block's tokens are equal.
  auto other = prompt;
  other[0] = -5;
  SequenceKv d;
  EXPECT_EQ(kv.find_cached_prefix(other, d).num_tokens, 0);
  EXPECT_TRUE(copies.empty());
}

TEST(KvCacheManager, FreedSequenceKeepsItsPrefixUntilEvicted) {
  KvCacheManager kv(4, 4, true);
  const auto prompt = tokens(9);
  SequenceKv a;
  std::vector<BlockCopy> copies;
  PrefixHit h0 = kv.find_cached_prefix(prompt, a);
  ASSERT_TRUE(kv.allocate_slots(a, 0, 9, &h0, copies));  // blocks 0 1 2
  kv.cache_computed_blocks(a, prompt, 9);
  kv.free(a);
  EXPECT_EQ(kv.pool().free_queue(), (Ids{3, 2, 1, 0}));  // tail block evicted first
  SequenceKv b;
  PrefixHit h1 = kv.find_cached_prefix(prompt, b);
  EXPECT_EQ(h1.blocks, (Ids{0, 1}));
  // Taking the two free hit blocks plus one new block needs three free blocks: there are four.
  ASSERT_TRUE(kv.allocate_slots(b, 8, 1, &h1, copies));
  EXPECT_EQ(b.block_table, (Ids{0, 1, 3}));
  EXPECT_EQ(kv.pool().free_queue(), (Ids{2}));
}

TEST(KvCacheManager, AllocationFailsWithoutChangingAnything) {
  KvCacheManager kv(2, 4, true);
  SequenceKv a;
  std::vector<BlockCopy> copies;
  EXPECT_FALSE(kv.allocate_slots(a, 0, 9, nullptr, copies));
  EXPECT_TRUE(a.block_table.empty());
  EXPECT_EQ(kv.pool().num_free_blocks(), 2);
  ASSERT_TRUE(kv.allocate_slots(a, 0, 8, nullptr, copies));
  EXPECT_FALSE(kv.allocate_slots(a, 8, 1, nullptr, copies));
  EXPECT_EQ(a.block_table.size(), 2u);
}

TEST(KvCacheManager, ForkSharesBlocksAndCopiesThePartialBlockOnWrite) {
  KvCacheManager kv(8, 4, true);
  const auto prompt = tokens(6);  // [0..3] full, [4 5] partial
  SequenceKv parent;
  std::vector<BlockCopy> copies;
  ASSERT_TRUE(kv.allocate_slots(parent, 0, 6, nullptr, copies));
  EXPECT_EQ(parent.block_table, (Ids{0, 1}));
  SequenceKv child = kv.fork(parent);
  EXPECT_EQ(kv.pool().ref_count(1), 2);

  // The child writes token 6 into shared block 1: it gets a private copy (block 2).
  ASSERT_TRUE(kv.allocate_slots(child, 6, 1, nullptr, copies));
  ASSERT_EQ(copies.size(), 1u);
  EXPECT_EQ(copies[0].src, 1);
  EXPECT_EQ(copies[0].dst, 2);
  EXPECT_EQ(child.block_table, (Ids{0, 2}));
  EXPECT_EQ(kv.pool().ref_count(1), 1);
  // The parent is now block 1's only holder and writes in place.
  copies.clear();
  ASSERT_TRUE(kv.allocate_slots(parent, 6, 1, nullptr, copies));
  EXPECT_TRUE(copies.empty());
  EXPECT_EQ(parent.block_table, (Ids{0, 1}));
  // The full block stays shared until both let go.
  EXPECT_EQ(kv.pool().ref_count(0), 2);
  kv.free(child);
  kv.free(parent);
  EXPECT_EQ(kv.pool().num_free_blocks(), 8);
}

}  // namespace
}  // namespace turbine
