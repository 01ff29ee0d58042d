// CpuBackend::attention: paged causal grouped-query attention.
//
// Work items are (sequence, KV head, run of query rows): one item reads each cached K/V row
// of its KV head once and uses it for all query heads of the group and all its rows. Items
// are ordered longest context first and handed out dynamically, one at a time, so the
// causal imbalance of a long prefill evens out across threads.
#include <algorithm>
#include <tuple>
#include <atomic>

#include "backend/cpu/cpu_backend.h"
#include "base/check.h"

namespace turbine::cpu {
namespace {

// Query rows per item: whole prefill chunks share K/V loads, but there must still be
// several items per thread.
int64_t rows_per_item(int64_t total_rows, int64_t num_kv_heads, int num_threads) {
  const int64_t target_items = 8 * num_threads;
  const int64_t rows = total_rows * num_kv_heads / target_items;
  return std::clamp<int64_t>(rows, 1, 16);
}

}  // namespace

void CpuBackend::attention(const float* q, const KvLayerView& kv, const AttentionBatch& batch,
                           int64_t num_heads, float scale, float* out) {
  TB_CHECK(q != nullptr && out != nullptr && kv.k != nullptr && kv.v != nullptr);
  TB_CHECK(is_kv_dtype(kv.dtype, kv.head_dim),
           "attention: cache elements must be f32, f16, bf16, or q8_0 with head_dim % 32 == 0");
  TB_CHECK(kv.num_kv_heads > 0 && num_heads % kv.num_kv_heads == 0,
           "attention: num_heads must be a multiple of num_kv_heads");
  TB_CHECK(kv.head_dim > 0 && kv.block_size > 0 && batch.num_seqs >= 0);
  if (batch.num_seqs == 0) return;
  TB_CHECK(batch.query_start && batch.seq_lens && batch.block_tables);

  AttentionArgs args;
  args.q = q;
  args.out = out;
  args.k_cache = static_cast<const uint8_t*>(kv.k);
  args.v_cache = static_cast<const uint8_t*>(kv.v);
  args.kv_dtype = kv.dtype;
  args.slot_bytes = row_bytes(kv.dtype, kv.num_kv_heads * kv.head_dim);
  args.head_bytes = row_bytes(kv.dtype, kv.head_dim);
  args.block_size = kv.block_size;
  args.num_heads = num_heads;
  args.num_kv_heads = kv.num_kv_heads;
  args.head_dim = kv.head_dim;
  args.scale = scale;
  args.query_start = batch.query_start;
  args.seq_lens = batch.seq_lens;
  args.block_tables = batch.block_tables;
  args.max_blocks_per_seq = batch.max_blocks_per_seq;

  const int64_t total_rows = batch.query_start[batch.num_seqs] - batch.query_start[0];
  const int64_t item_rows = rows_per_item(total_rows, kv.num_kv_heads, pool_.num_threads());
  auto& items = attention_items_;
  items.clear();
  for (int64_t s = 0; s < batch.num_seqs; ++s) {
    const int32_t q0 = batch.query_start[s], q1 = batch.query_start[s + 1];
    TB_CHECK(q1 >= q0 && q1 - q0 <= batch.seq_lens[s], "attention: more queries than context");
    TB_CHECK((batch.seq_lens[s] + kv.block_size - 1) / kv.block_size <= batch.max_blocks_per_seq,
             "attention: block table too short for the context");
    for (int32_t r = q0; r < q1; r += int32_t(item_rows)) {
      const int32_t r1 = std::min<int32_t>(q1, r + int32_t(item_rows));
      for (int32_t h = 0; h < kv.num_kv_heads; ++h) items.push_back({int32_t(s), h, r, r1});
    }
  }
  // Longest context (last query position) first.
  auto last_pos = [&](const AttentionItem& it) {
    return batch.seq_lens[it.seq] - (batch.query_start[it.seq + 1] - it.q_end);
  };
  // std::sort with a full tie-break (stable_sort would allocate a buffer in every layer).
  std::sort(items.begin(), items.end(), [&](const AttentionItem& a, const AttentionItem& b) {
    const int32_t pa = last_pos(a), pb = last_pos(b);
    if (pa != pb) return pa > pb;
    return std::tie(a.seq, a.q_begin, a.kv_head) < std::tie(b.seq, b.q_begin, b.kv_head);
  });

  const int64_t per_thread = align64(size_t(attention_scratch_floats(args, item_rows)) * 4) / 4;
  float* scratch =
      static_cast<float*>(attention_scratch_.get(size_t(per_thread * pool_.num_threads()) * 4));
  const int64_t num_items = int64_t(items.size());
  if (pool_.num_threads() == 1 || num_items == 1) {
    kernels_.attention(args, items.data(), num_items, scratch);
    return;
  }
  std::atomic<int64_t> next{0};
  pool_.run_on_all([&](int thread) {
    for (;;) {
      const int64_t i = next.fetch_add(1, std::memory_order_relaxed);
      if (i >= num_items) break;
      kernels_.attention(args, &items[i], 1, scratch + thread * per_thread);
    }
  });
}

}  // namespace turbine::cpu
