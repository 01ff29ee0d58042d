// One forward step's input: the new tokens of several sequences flattened into one batch, with
// where their KV goes and which cached blocks each sequence reads. Prefill, chunked prefill and
// decode are all the same shape here: a sequence contributes 1..N new tokens. Built by whoever
// schedules (engine thread); read by ModelRunner.
#pragma once

#include <cstdint>
#include <vector>

namespace turbine {

struct ForwardBatch {
  //                                  shape                   meaning
  std::vector<int32_t> token_ids;     // [num_tokens]          new tokens, sequence after sequence
  std::vector<int32_t> positions;     // [num_tokens]          position of each token in its sequence
  std::vector<int32_t> slots;         // [num_tokens]          KV slot (block * block_size + offset) it writes
  std::vector<int32_t> query_start;   // [num_seqs + 1]        sequence s owns tokens [query_start[s], query_start[s+1])
  std::vector<int32_t> seq_lens;      // [num_seqs]            context length after this step
  std::vector<int32_t> block_tables;  // [num_seqs, max_blocks_per_seq], -1 padded
  int64_t max_blocks_per_seq = 0;
  std::vector<int32_t> logit_rows;    // [num_logits]          token rows whose logits are wanted

  int64_t num_tokens() const { return int64_t(token_ids.size()); }
  int64_t num_seqs() const { return int64_t(seq_lens.size()); }

  // Appends a sequence whose first `num_cached` tokens are already in its blocks and whose
  // `new_tokens` follow. block_table must cover num_cached + new_tokens.size() tokens.
  // want_logits: logits of its last new token are wanted (a sampling step).
  void add_sequence(const std::vector<int32_t>& new_tokens, int64_t num_cached,
                    const std::vector<int32_t>& block_table, int64_t block_size, bool want_logits);
  void clear();
};

}  // namespace turbine
