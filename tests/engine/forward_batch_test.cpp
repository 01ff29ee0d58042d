#include "engine/forward_batch.h"

#include <gtest/gtest.h>

namespace turbine {
namespace {

TEST(ForwardBatchTest, FlattensSequencesAndMapsSlotsThroughBlockTables) {
  ForwardBatch b;
  // Sequence 0: 3 cached tokens + 2 new, blocks [5, 2] of 4 tokens -> positions 3, 4.
  b.add_sequence({10, 11}, 3, {5, 2}, 4, true);
  // Sequence 1: a fresh prompt of 3 tokens in block [7], wider table padded for sequence 0.
  b.add_sequence({20, 21, 22}, 0, {7}, 4, false);
  // Sequence 2: needs 3 blocks: earlier rows are re-padded to width 3.
  b.add_sequence({30}, 8, {1, 3, 4}, 4, true);

  EXPECT_EQ(b.token_ids, (std::vector<int32_t>{10, 11, 20, 21, 22, 30}));
  EXPECT_EQ(b.positions, (std::vector<int32_t>{3, 4, 0, 1, 2, 8}));
  EXPECT_EQ(b.slots, (std::vector<int32_t>{5 * 4 + 3, 2 * 4 + 0, 28, 29, 30, 4 * 4 + 0}));
  EXPECT_EQ(b.query_start, (std::vector<int32_t>{0, 2, 5, 6}));
  EXPECT_EQ(b.seq_lens, (std::vector<int32_t>{5, 3, 9}));
  EXPECT_EQ(b.max_blocks_per_seq, 3);
  EXPECT_EQ(b.block_tables, (std::vector<int32_t>{5, 2, -1, 7, -1, -1, 1, 3, 4}));
  EXPECT_EQ(b.logit_rows, (std::vector<int32_t>{1, 5}));
}

}  // namespace
}  // namespace turbine
