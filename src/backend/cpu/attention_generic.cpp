// Portable paged attention: per work item, an online-softmax (flash-style) pass over the
// sequence's cached tokens, tile by tile, for all query rows and heads of one KV head. Cache
// rows are widened to f32 tiles by dequantize_row (q8_0: int8 * the block's f16 scale).
#include <algorithm>
#include <cmath>
#include <limits>

#include "backend/cpu/kernels_generic.h"

namespace turbine::cpu::generic {
namespace {

void run_item(const AttentionArgs& a, const AttentionItem& item, float* scratch) {
  const int64_t hd = a.head_dim;
  const int64_t group = a.num_heads / a.num_kv_heads;
  const int64_t rows = item.q_end - item.q_begin;
  const int64_t nq = rows * group;
  const int64_t head_offset = item.kv_head * a.head_bytes;

  float* k_tile = scratch;
  float* v_tile = k_tile + kAttentionTileTokens * hd;
  float* q_scaled = v_tile + kAttentionTileTokens * hd;
  float* acc = q_scaled + nq * hd;
  float* run_max = acc + nq * hd;
  float* run_sum = run_max + nq;

  const int32_t seq_q0 = a.query_start[item.seq];
  const int64_t q_len = a.query_start[item.seq + 1] - seq_q0;
  const int64_t first_pos = a.seq_lens[item.seq] - q_len + (item.q_begin - seq_q0);
  const int64_t last_pos = first_pos + rows - 1;

  for (int64_t qi = 0; qi < nq; ++qi) {
    const float* src =
        a.q + ((item.q_begin + qi / group) * a.num_heads + item.kv_head * group + qi % group) * hd;
    for (int64_t i = 0; i < hd; ++i) q_scaled[qi * hd + i] = src[i] * a.scale;
    for (int64_t i = 0; i < hd; ++i) acc[qi * hd + i] = 0.0f;
    run_max[qi] = -std::numeric_limits<float>::infinity();
    run_sum[qi] = 0.0f;
  }

  const int32_t* table = a.block_tables + item.seq * a.max_blocks_per_seq;
  float scores[kAttentionTileTokens];
  for (int64_t t0 = 0, t1; t0 <= last_pos; t0 = t1) {
    const int64_t block = t0 / a.block_size;
    t1 = std::min({t0 + kAttentionTileTokens, (block + 1) * a.block_size, last_pos + 1});
    const int64_t base_slot = int64_t(table[block]) * a.block_size - block * a.block_size;
    for (int64_t t = t0; t < t1; ++t) {
      const int64_t off = (base_slot + t) * a.slot_bytes + head_offset;
      dequantize_row(a.kv_dtype, a.k_cache + off, hd, k_tile + (t - t0) * hd);
      dequantize_row(a.kv_dtype, a.v_cache + off, hd, v_tile + (t - t0) * hd);
    }
    for (int64_t qi = 0; qi < nq; ++qi) {
      const int64_t pos = first_pos + qi / group;
      if (pos < t0) continue;
      const int64_t valid = std::min(t1, pos + 1) - t0;
      const float* qv = q_scaled + qi * hd;
      float tile_max = -std::numeric_limits<float>::infinity();
      for (int64_t j = 0; j < valid; ++j) {
        float s = 0.0f;
        for (int64_t i = 0; i < hd; ++i) s += qv[i] * k_tile[j * hd + i];
        scores[j] = s;
        tile_max = std::fmax(tile_max, s);
      }
      const float new_max = std::fmax(run_max[qi], tile_max);
      const float alpha = std::exp(run_max[qi] - new_max);
      float* o = acc + qi * hd;
      for (int64_t i = 0; i < hd; ++i) o[i] *= alpha;
      float sum = 0.0f;
      for (int64_t j = 0; j < valid; ++j) {
        const float p = std::exp(scores[j] - new_max);
        sum += p;
        for (int64_t i = 0; i < hd; ++i) o[i] += p * v_tile[j * hd + i];
      }
      run_sum[qi] = run_sum[qi] * alpha + sum;
      run_max[qi] = new_max;
    }
  }

  for (int64_t qi = 0; qi < nq; ++qi) {
    float* dst =
        a.out +
        ((item.q_begin + qi / group) * a.num_heads + item.kv_head * group + qi % group) * hd;
    const float inv = 1.0f / run_sum[qi];
    for (int64_t i = 0; i < hd; ++i) dst[i] = acc[qi * hd + i] * inv;
  }
}

}  // namespace

void attention(const AttentionArgs& a, const AttentionItem* items, int64_t num_items,
               float* scratch) {
  for (int64_t i = 0; i < num_items; ++i) run_item(a, items[i], scratch);
}

}  // namespace turbine::cpu::generic
