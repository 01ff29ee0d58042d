// AVX2 paged attention: the generic kernel's algorithm (online softmax over tiles of cached
// tokens, one KV head's query group per item) with the tile widened to f32 by F16C / shifts
// (q8_0: sign-extended int8 times the block's scale), scores computed eight tokens at a time
// (eight dot products reduced together by hsum8), vector exp, and P.V accumulated 64 output
// floats at a time in registers. Unlike the generic kernel's, a tile here may span KV blocks
// (its rows are gathered, so longer tiles only amortise the per-tile softmax work).
#include <math.h>

#include <cstring>

#include "backend/cpu/kernels_avx2.h"
#include "backend/cpu/kernels_generic.h"
#include "backend/cpu/simd_avx2.h"

namespace turbine::cpu::avx2 {
namespace {

constexpr int64_t kTile = kAttentionTileTokens;

// n / 32 q8_0 blocks -> n floats (int8 * the block's f16 scale), 8 at a time.
inline void widen_q8_0(const BlockQ8_0* b, int64_t n, float* dst) {
  for (int64_t i = 0; i < n / kQK; ++i, dst += kQK) {
    const __m256 d = f16_broadcast(b[i].d);
    for (int j = 0; j < kQK; j += 8) {
      const __m128i q = _mm_loadl_epi64(reinterpret_cast<const __m128i*>(b[i].qs + j));
      _mm256_store_ps(dst + j, _mm256_mul_ps(_mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(q)), d));
    }
  }
}

// One head's cache row of n elements -> n floats; n % 8 == 0 (q8_0: n % 32 == 0).
inline void widen_row(DType t, const uint8_t* src, int64_t n, float* dst) {
  if (t == DType::kF32) {
    std::memcpy(dst, src, size_t(n) * 4);
    return;
  }
  if (t == DType::kQ8_0) {
    widen_q8_0(reinterpret_cast<const BlockQ8_0*>(src), n, dst);
    return;
  }
  const auto* h = reinterpret_cast<const uint16_t*>(src);
  if (t == DType::kF16) {
    for (int64_t i = 0; i < n; i += 8) _mm256_store_ps(dst + i, load_f16x8(h + i));
  } else {
    for (int64_t i = 0; i < n; i += 8) _mm256_store_ps(dst + i, load_bf16x8(h + i));
  }
}

// scores[j] = q . k_tile[j] for j < valid, -inf for j in [valid, round_up(valid, 8)).
inline void tile_scores(const float* q, const float* k_tile, int64_t hd, int64_t valid,
                        float* scores) {
  for (int64_t j0 = 0; j0 < valid; j0 += 8) {
    const int64_t n = valid - j0 < 8 ? valid - j0 : 8;
    const float* rows[8];
    for (int t = 0; t < 8; ++t) rows[t] = k_tile + (j0 + (t < n ? t : n - 1)) * hd;
    __m256 acc[8];
    for (int t = 0; t < 8; ++t) acc[t] = _mm256_setzero_ps();
    for (int64_t d = 0; d < hd; d += 8) {
      const __m256 qv = _mm256_load_ps(q + d);
      for (int t = 0; t < 8; ++t) acc[t] = _mm256_fmadd_ps(qv, _mm256_load_ps(rows[t] + d), acc[t]);
    }
    __m256 s = hsum8(acc);
    const __m256 lane = _mm256_setr_ps(0, 1, 2, 3, 4, 5, 6, 7);
    const __m256 valid_mask = _mm256_cmp_ps(lane, _mm256_set1_ps(float(n)), _CMP_LT_OQ);
    s = _mm256_blendv_ps(_mm256_set1_ps(-INFINITY), s, valid_mask);
    _mm256_store_ps(scores + j0, s);
  }
}

// o[hd] = o * alpha + sum_j p[j] * v_tile[j], 64 floats (8 independent FMA chains) at a time.
inline void accumulate_pv(float* o, float alpha, const float* p, const float* v_tile, int64_t hd,
                          int64_t valid) {
  const __m256 av = _mm256_set1_ps(alpha);
  int64_t d = 0;
  for (; d + 64 <= hd; d += 64) {
    __m256 acc[8];
#pragma GCC unroll 8
    for (int i = 0; i < 8; ++i) acc[i] = _mm256_mul_ps(_mm256_load_ps(o + d + 8 * i), av);
    for (int64_t j = 0; j < valid; ++j) {
      const __m256 pj = _mm256_broadcast_ss(p + j);
      const float* v = v_tile + j * hd + d;
#pragma GCC unroll 8
      for (int i = 0; i < 8; ++i) acc[i] = _mm256_fmadd_ps(pj, _mm256_load_ps(v + 8 * i), acc[i]);
    }
#pragma GCC unroll 8
    for (int i = 0; i < 8; ++i) _mm256_store_ps(o + d + 8 * i, acc[i]);
  }
  for (; d < hd; d += 8) {
    __m256 o0 = _mm256_mul_ps(_mm256_load_ps(o + d), av);
    for (int64_t j = 0; j < valid; ++j)
      o0 = _mm256_fmadd_ps(_mm256_broadcast_ss(p + j), _mm256_load_ps(v_tile + j * hd + d), o0);
    _mm256_store_ps(o + d, o0);
  }
}

// One item's view of the scratch and the sequence (see kernel_args.h for the scratch layout).
struct ItemState {
  int64_t hd, group, nq, head_offset, first_pos, last_pos;
  float *k_tile, *v_tile, *q_scaled, *acc, *run_max, *run_sum;
};

ItemState begin_item(const AttentionArgs& a, const AttentionItem& item, float* scratch) {
  ItemState st;
  st.hd = a.head_dim;
  st.group = a.num_heads / a.num_kv_heads;
  const int64_t rows = item.q_end - item.q_begin;
  st.nq = rows * st.group;
  st.head_offset = item.kv_head * a.head_bytes;
  st.k_tile = scratch;
  st.v_tile = st.k_tile + kTile * st.hd;
  st.q_scaled = st.v_tile + kTile * st.hd;
  st.acc = st.q_scaled + st.nq * st.hd;
  st.run_max = st.acc + st.nq * st.hd;
  st.run_sum = st.run_max + st.nq;
  const int32_t seq_q0 = a.query_start[item.seq];
  const int64_t q_len = a.query_start[item.seq + 1] - seq_q0;
  st.first_pos = a.seq_lens[item.seq] - q_len + (item.q_begin - seq_q0);
  st.last_pos = st.first_pos + rows - 1;

  const __m256 scale = _mm256_set1_ps(a.scale);
  for (int64_t qi = 0; qi < st.nq; ++qi) {
    const float* src = a.q + ((item.q_begin + qi / st.group) * a.num_heads +
                              item.kv_head * st.group + qi % st.group) *
                                 st.hd;
    for (int64_t i = 0; i < st.hd; i += 8) {
      _mm256_store_ps(st.q_scaled + qi * st.hd + i, _mm256_mul_ps(_mm256_loadu_ps(src + i), scale));
      _mm256_store_ps(st.acc + qi * st.hd + i, _mm256_setzero_ps());
    }
    st.run_max[qi] = -INFINITY;
    st.run_sum[qi] = 0.0f;
  }
  return st;
}

// Folds tile tokens [t0, t0 + tile_len) (widened in st.k_tile / v_tile) into every query that
// sees any of them: online softmax, then P.V.
// (By value: the build has -fno-strict-aliasing, so fields read through a reference would be
// reloaded after every float store.)
void attend_tile(const ItemState st, int64_t t0, int64_t tile_len) {
  alignas(32) float scores[kTile];
  for (int64_t qi = 0; qi < st.nq; ++qi) {
    const int64_t pos = st.first_pos + qi / st.group;
    if (pos < t0) continue;
    const int64_t valid = pos + 1 - t0 < tile_len ? pos + 1 - t0 : tile_len;
    tile_scores(st.q_scaled + qi * st.hd, st.k_tile, st.hd, valid, scores);
    __m256 mx = _mm256_set1_ps(-INFINITY);
    for (int64_t j = 0; j < valid; j += 8) mx = _mm256_max_ps(mx, _mm256_load_ps(scores + j));
    const float tile_max = hmax(mx);
    const float new_max = st.run_max[qi] > tile_max ? st.run_max[qi] : tile_max;
    const float alpha = _mm256_cvtss_f32(exp_ps(_mm256_set1_ps(st.run_max[qi] - new_max)));
    const __m256 nm = _mm256_set1_ps(new_max);
    __m256 sum = _mm256_setzero_ps();
    for (int64_t j = 0; j < valid; j += 8) {
      const __m256 pj = exp_ps(_mm256_sub_ps(_mm256_load_ps(scores + j), nm));
      _mm256_store_ps(scores + j, pj);
      sum = _mm256_add_ps(sum, pj);
    }
    accumulate_pv(st.acc + qi * st.hd, alpha, scores, st.v_tile, st.hd, valid);
    st.run_sum[qi] = st.run_sum[qi] * alpha + hsum(sum);
    st.run_max[qi] = new_max;
  }
}

void run_item(const AttentionArgs& a, const AttentionItem& item, float* scratch) {
  const ItemState st = begin_item(a, item, scratch);
  const int64_t hd = st.hd, last_pos = st.last_pos;
  const int32_t* table = a.block_tables + item.seq * a.max_blocks_per_seq;
  // Byte offsets (from k_cache / v_cache) of tokens [t0, t1)'s rows of this KV head. A tile
  // may span KV blocks: the rows are gathered into k_tile / v_tile anyway.
  auto row_offsets = [&](int64_t t0, int64_t t1, int64_t* off) {
    int64_t block = t0 / a.block_size, in_block = t0 % a.block_size;
    for (int64_t t = t0; t < t1; ++t) {
      off[t - t0] =
          (int64_t(table[block]) * a.block_size + in_block) * a.slot_bytes + st.head_offset;
      if (++in_block == a.block_size) in_block = 0, ++block;
    }
  };
  // One KV head's rows are a slot apart and blocks are scattered, which the hardware
  // prefetchers do not follow: while widening token i of a tile, fetch token i of the next.
  // Every 64-byte line of [off, off + head_bytes) (a q8_0 row need not start on a line; the
  // caches themselves are 64-byte aligned).
  auto prefetch_row = [&](int64_t off) {
    for (int64_t line = off & ~int64_t(63); line < off + a.head_bytes; line += 64) {
      _mm_prefetch(reinterpret_cast<const char*>(a.k_cache + line), _MM_HINT_T0);
      _mm_prefetch(reinterpret_cast<const char*>(a.v_cache + line), _MM_HINT_T0);
    }
  };
  int64_t offsets[2][kTile];
  int64_t* cur = offsets[0];
  int64_t* next = offsets[1];
  int64_t t1 = last_pos + 1 < kTile ? last_pos + 1 : kTile;
  row_offsets(0, t1, cur);
  for (int64_t i = 0; i < t1; ++i) prefetch_row(cur[i]);
  for (int64_t t0 = 0; t0 <= last_pos;) {
    const int64_t next_t0 = t1;
    const int64_t next_t1 = next_t0 + kTile < last_pos + 1 ? next_t0 + kTile : last_pos + 1;
    if (next_t0 < next_t1) row_offsets(next_t0, next_t1, next);
    for (int64_t i = 0; i < t1 - t0; ++i) {
      if (i < next_t1 - next_t0) prefetch_row(next[i]);
      widen_row(a.kv_dtype, a.k_cache + cur[i], hd, st.k_tile + i * hd);
      widen_row(a.kv_dtype, a.v_cache + cur[i], hd, st.v_tile + i * hd);
    }
    attend_tile(st, t0, t1 - t0);
    t0 = next_t0;
    t1 = next_t1;
    int64_t* done = cur;
    cur = next;
    next = done;
  }

  for (int64_t qi = 0; qi < st.nq; ++qi) {
    float* dst = a.out + ((item.q_begin + qi / st.group) * a.num_heads + item.kv_head * st.group +
                          qi % st.group) *
                             hd;
    const __m256 inv = _mm256_set1_ps(1.0f / st.run_sum[qi]);
    for (int64_t i = 0; i < hd; i += 8)
      _mm256_storeu_ps(dst + i, _mm256_mul_ps(_mm256_load_ps(st.acc + qi * hd + i), inv));
  }
}

}  // namespace

void attention(const AttentionArgs& a, const AttentionItem* items, int64_t num_items,
               float* scratch) {
  if (a.head_dim % 8 != 0) {  // the vector loops need whole 8-float chunks
    generic::attention(a, items, num_items, scratch);
    return;
  }
  for (int64_t i = 0; i < num_items; ++i) run_item(a, items[i], scratch);
}

}  // namespace turbine::cpu::avx2
