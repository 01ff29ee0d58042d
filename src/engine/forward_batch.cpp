#include "engine/forward_batch.h"

#include "base/check.h"

namespace turbine {

void ForwardBatch::add_sequence(const std::vector<int32_t>& new_tokens, int64_t num_cached,
                                const std::vector<int32_t>& block_table, int64_t block_size,
                                bool want_logits) {
  const int64_t seq_len = num_cached + int64_t(new_tokens.size());
  TB_CHECK(!new_tokens.empty(), "a sequence in a batch needs at least one new token");
  TB_CHECK(int64_t(block_table.size()) * block_size >= seq_len, "block table too short");
  if (query_start.empty()) query_start.push_back(0);

  // Re-pad the existing tables when this sequence needs more columns.
  const int64_t width = int64_t(block_table.size());
  if (width > max_blocks_per_seq) {
    std::vector<int32_t> wider(size_t(num_seqs() * width), -1);
    for (int64_t s = 0; s < num_seqs(); ++s)
      for (int64_t b = 0; b < max_blocks_per_seq; ++b)
        wider[size_t(s * width + b)] = block_tables[size_t(s * max_blocks_per_seq + b)];
    block_tables = std::move(wider);
    max_blocks_per_seq = width;
  }
  for (int64_t b = 0; b < max_blocks_per_seq; ++b)
    block_tables.push_back(b < width ? block_table[size_t(b)] : -1);

  for (size_t i = 0; i < new_tokens.size(); ++i) {
    const int64_t pos = num_cached + int64_t(i);
    token_ids.push_back(new_tokens[i]);
    positions.push_back(int32_t(pos));
    slots.push_back(int32_t(block_table[size_t(pos / block_size)] * block_size + pos % block_size));
  }
  seq_lens.push_back(int32_t(seq_len));
  query_start.push_back(int32_t(token_ids.size()));
  if (want_logits) logit_rows.push_back(int32_t(token_ids.size()) - 1);
}

void ForwardBatch::clear() {
  token_ids.clear();
  positions.clear();
  slots.clear();
  query_start.clear();
  seq_lens.clear();
  block_tables.clear();
  max_blocks_per_seq = 0;
  logit_rows.clear();
}

}  // namespace turbine
