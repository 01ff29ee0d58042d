#include "router/kv_index.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <numeric>

#include "engine/block_hash.h"
#include "router/route_context.h"

namespace turbine {
namespace {

std::vector<KvEvent> stored(const std::vector<uint64_t>& hashes) {
  std::vector<KvEvent> events;
  for (uint64_t h : hashes) events.push_back({KvEvent::Kind::kStored, h});
  return events;
}

int32_t overlap_of(const std::vector<KvOverlap>& overlaps, uint32_t instance) {
  for (const KvOverlap& o : overlaps)
    if (o.instance == instance) return o.num_blocks;
  return 0;
}

TEST(KvIndexTest, OverlapCountsLeadingBlocksOnly) {
  KvIndex index;
  const std::vector<uint64_t> prompt = {10, 11, 12, 13};
  index.apply(1, stored({10, 11, 12}));  // the first three
  index.apply(2, stored({10, 12}));      // a gap after the first block
  index.apply(3, stored({11, 12, 13}));  // everything but the first
  const std::vector<KvOverlap> overlaps = index.overlap(prompt);
  EXPECT_EQ(overlap_of(overlaps, 1), 3);
  EXPECT_EQ(overlap_of(overlaps, 2), 1);
  EXPECT_EQ(overlap_of(overlaps, 3), 0);
  EXPECT_EQ(overlaps.size(), 2u);  // instances without the first block are not listed
  EXPECT_TRUE(index.overlap(std::vector<uint64_t>{}).empty());
  EXPECT_TRUE(index.overlap(std::vector<uint64_t>{99, 10}).empty());
}

TEST(KvIndexTest, RemovedEventsShortenTheOverlap) {
  KvIndex index;
  index.apply(1, stored({10, 11, 12}));
  index.apply(1, {{KvEvent::Kind::kRemoved, 11}});
  EXPECT_EQ(overlap_of(index.overlap({10, 11, 12}), 1), 1);
  EXPECT_EQ(index.num_blocks(1), 2);
  // Removing what it does not hold and storing twice change nothing.
  index.apply(1, {{KvEvent::Kind::kRemoved, 77}, {KvEvent::Kind::kStored, 10}});
  EXPECT_EQ(index.num_blocks(1), 2);
  index.apply(1, {{KvEvent::Kind::kRemoved, 10}});
  EXPECT_EQ(index.num_blocks(1), 1);
  EXPECT_TRUE(index.overlap({10, 11, 12}).empty());
  // Events apply in order within a batch.
  index.apply(1, {{KvEvent::Kind::kStored, 10}, {KvEvent::Kind::kRemoved, 10}, {KvEvent::Kind::kStored, 10}});
  EXPECT_EQ(overlap_of(index.overlap({10}), 1), 1);
}

TEST(KvIndexTest, ClearForgetsOneInstance) {
  KvIndex index;
  index.apply(1, stored({10, 11}));
  index.apply(2, stored({10, 11}));
  EXPECT_EQ(index.num_keys(), 2);
  index.clear(1);
  const std::vector<KvOverlap> overlaps = index.overlap({10, 11});
  EXPECT_EQ(overlap_of(overlaps, 1), 0);
  EXPECT_EQ(overlap_of(overlaps, 2), 2);
  EXPECT_EQ(index.num_blocks(1), 0);
  index.clear(2);
  EXPECT_EQ(index.num_keys(), 0);
  index.clear(3);  // unknown: a no-op
}

TEST(KvIndexTest, PromptBlocksAreTheEnginesKeys) {
  std::vector<int32_t> prompt(70);
  std::iota(prompt.begin(), prompt.end(), 100);
  std::vector<uint64_t> engine_keys;
  extend_block_hashes(prompt, 16, engine_keys);
  PromptBlocks blocks(&prompt);
  EXPECT_EQ(blocks.hashes(16), engine_keys);  // 4 full blocks; the partial fifth has no key
  EXPECT_EQ(blocks.hashes(16).size(), 4u);
  EXPECT_EQ(blocks.num_blocks(16), 5);
  EXPECT_EQ(blocks.hashes(32).size(), 2u);  // another block size: other keys
  EXPECT_NE(blocks.hashes(32)[0], engine_keys[0]);

  // A prompt sharing the first 40 tokens shares the first two 16-token blocks' keys.
  std::vector<int32_t> other = prompt;
  other[40] = -1;
  PromptBlocks other_blocks(&other);
  KvIndex index;
  index.apply(7, stored(engine_keys));
  EXPECT_EQ(overlap_of(index.overlap(other_blocks.hashes(16)), 7), 2);
}

TEST(KvIndexTest, EstimateCountsPromptAndDecodeBlocks) {
  WorkerRequest request;
  request.prompt.resize(33);          // 3 blocks of 16
  request.params.max_tokens = 20;     // 2 blocks per choice
  request.params.n = 2;
  EXPECT_EQ(estimate_request_blocks(request, 16), 3 + 2 * 2);
}

}  // namespace
}  // namespace turbine
