// AVX2 matmul panels for Q4_K and Q6_K weights against q8_k activations, row-major. A model's
// matrices with rows % 8 == 0 are interleaved at load instead (interleaved8.h) and run on
// matmul_kquant_x8_avx2.cpp; these serve the rest.
//
// The weight quants are unsigned (Q4_K: 0..15, Q6_K: 0..63), so _mm256_maddubs_epi16 takes
// them directly against the int8 activations, and _mm256_madd_epi16 by the sub-block scales
// (broadcast to i16 lanes) folds the scales in for free. The offsets (Q4_K mins, Q6_K's -32)
// are applied once per super-block from the activations' 16-element sums (bsums). Weight
// unpacking is done once per tile row and reused for the tile's C activation rows.
#include <cstring>

#include "backend/cpu/kernels_avx2.h"
#include "backend/cpu/q8k_cols.h"
#include "backend/cpu/simd_avx2.h"
#include "backend/cpu/tile_loop.h"

namespace turbine::cpu::avx2 {
namespace {

// Shuffle mask that broadcasts i16 lane `i` of each 128-bit half to all its lanes.
inline __m256i broadcast_i16_mask(int i) {
  return _mm256_set1_epi16(int16_t(((2 * i + 1) << 8) | (2 * i)));
}

template <int R, int C>
inline void store_tile(const MatmulPanel& p, int64_t r0, int64_t c0, const __m256 (&acc)[R][C]) {
#pragma GCC unroll 8
  for (int r = 0; r < R; ++r)
#pragma GCC unroll 8
    for (int c = 0; c < C; ++c) p.y[(c0 + c) * p.ldy + r0 + r] = hsum(acc[r][c]);
}

// Q4_K: value = d * sc_j * q - dmin * m_j for 32-element sub-blocks j.
template <int R, int C>
inline void tile_q4_k(const MatmulPanel& p, int64_t r0, int64_t c0) {
  const int64_t nb = p.k / 256;
  Q8KCol cols[C];
  load_q8k_cols<C>(p, c0, cols);
  __m256 acc[R][C];
#pragma GCC unroll 8
  for (int r = 0; r < R; ++r)
#pragma GCC unroll 8
    for (int c = 0; c < C; ++c) acc[r][c] = _mm256_setzero_ps();
  const __m256i m4 = _mm256_set1_epi8(0x0F);

  const BlockQ4_K* w[R];
#pragma GCC unroll 8
  for (int r = 0; r < R; ++r)
    w[r] = reinterpret_cast<const BlockQ4_K*>(p.w + (r0 + r) * p.w_stride);

  for (int64_t b = 0; b < nb; ++b) {
    if constexpr (C == 1) prefetch_next_rows<R>(w, b, p.w_stride);
#pragma GCC unroll 8
    for (int r = 0; r < R; ++r) {
      const BlockQ4_K& blk = w[r][b];
      const __m256i scales_mins = q4_k_scales_mins(blk.scales);
      const __m256i scales = _mm256_broadcastsi128_si256(_mm256_castsi256_si128(scales_mins));
      const __m128i mins = _mm256_extracti128_si256(scales_mins, 1);
      __m256i sumi[C];
#pragma GCC unroll 8
      for (int c = 0; c < C; ++c) sumi[c] = _mm256_setzero_si256();
      for (int j = 0; j < 4; ++j) {  // 64 elements: sub-block 2j (low nibbles), 2j+1 (high)
        const __m256i scale_lo = _mm256_shuffle_epi8(scales, broadcast_i16_mask(2 * j));
        const __m256i scale_hi = _mm256_shuffle_epi8(scales, broadcast_i16_mask(2 * j + 1));
        const __m256i bits = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(blk.qs + 32 * j));
        const __m256i q_lo = _mm256_and_si256(bits, m4);
        const __m256i q_hi = _mm256_and_si256(_mm256_srli_epi16(bits, 4), m4);
#pragma GCC unroll 8
        for (int c = 0; c < C; ++c) {
          const int8_t* x = cols[c].qs + b * 256 + 64 * j;
          const __m256i x_lo = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(x));
          const __m256i x_hi = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(x + 32));
          const __m256i p_lo = _mm256_madd_epi16(scale_lo, _mm256_maddubs_epi16(q_lo, x_lo));
          const __m256i p_hi = _mm256_madd_epi16(scale_hi, _mm256_maddubs_epi16(q_hi, x_hi));
          sumi[c] = _mm256_add_epi32(sumi[c], _mm256_add_epi32(p_lo, p_hi));
        }
      }
      const float d = f16_scalar(blk.d), dmin = f16_scalar(blk.dmin);
#pragma GCC unroll 8
      for (int c = 0; c < C; ++c) {
        const float dx = cols[c].d[b];
        acc[r][c] = _mm256_fmadd_ps(_mm256_set1_ps(d * dx), _mm256_cvtepi32_ps(sumi[c]), acc[r][c]);
        // mins: sum_j m_j * (sum of x over sub-block j)
        const __m256i bs =
            _mm256_loadu_si256(reinterpret_cast<const __m256i*>(cols[c].bsums + b * 16));
        const __m128i sums32 =
            _mm_hadd_epi16(_mm256_castsi256_si128(bs), _mm256_extracti128_si256(bs, 1));
        const __m128i pm = _mm_madd_epi16(mins, sums32);
        const __m256 pmf = _mm256_cvtepi32_ps(_mm256_set_m128i(_mm_setzero_si128(), pm));
        acc[r][c] = _mm256_fnmadd_ps(_mm256_set1_ps(dmin * dx), pmf, acc[r][c]);
      }
    }
  }
  store_tile<R, C>(p, r0, c0, acc);
}

// Q6_K group i (32 elements) of a 128-element half: low 4 bits from ql (i = 0, 1: low nibbles
// of ql[0..31], ql[32..63]; i = 2, 3: their high nibbles), high 2 bits from qh bits 2i, 2i+1.
template <int I>
inline __m256i q6_k_group(__m256i ql0, __m256i ql1, __m256i qh) {
  const __m256i m4 = _mm256_set1_epi8(0x0F);
  const __m256i m2 = _mm256_set1_epi8(0x03);
  const __m256i l = (I & 1) ? ql1 : ql0;
  const __m256i low =
      I < 2 ? _mm256_and_si256(l, m4) : _mm256_and_si256(_mm256_srli_epi16(l, 4), m4);
  const __m256i high = _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(qh, 2 * I), m2), 4);
  return _mm256_or_si256(low, high);
}

// i16 lanes 0-7 = scales[g], lanes 8-15 = scales[g + 1] (the two 16-element halves of 32).
inline __m256i q6_k_scale_pair(__m128i scales8, int g) {
  const __m128i mask = _mm_set_epi64x(int64_t(0x0101010101010101ull * uint64_t(g + 1)),
                                      int64_t(0x0101010101010101ull * uint64_t(g)));
  return _mm256_cvtepi8_epi16(_mm_shuffle_epi8(scales8, mask));
}

// Q6_K: value = d * sc_g * (q - 32) for 16-element groups g.
template <int R, int C>
inline void tile_q6_k(const MatmulPanel& p, int64_t r0, int64_t c0) {
  const int64_t nb = p.k / 256;
  Q8KCol cols[C];
  load_q8k_cols<C>(p, c0, cols);
  __m256 acc[R][C];
#pragma GCC unroll 8
  for (int r = 0; r < R; ++r)
#pragma GCC unroll 8
    for (int c = 0; c < C; ++c) acc[r][c] = _mm256_setzero_ps();

  const BlockQ6_K* w[R];
#pragma GCC unroll 8
  for (int r = 0; r < R; ++r)
    w[r] = reinterpret_cast<const BlockQ6_K*>(p.w + (r0 + r) * p.w_stride);

  for (int64_t b = 0; b < nb; ++b) {
    if constexpr (C == 1) prefetch_next_rows<R>(w, b, p.w_stride);
#pragma GCC unroll 8
    for (int r = 0; r < R; ++r) {
      const BlockQ6_K& blk = w[r][b];
      const __m128i scales8 = _mm_loadu_si128(reinterpret_cast<const __m128i*>(blk.scales));
      __m256i sumi[C];
#pragma GCC unroll 8
      for (int c = 0; c < C; ++c) sumi[c] = _mm256_setzero_si256();
      for (int h = 0; h < 2; ++h) {
        const __m256i ql0 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(blk.ql + 64 * h));
        const __m256i ql1 =
            _mm256_loadu_si256(reinterpret_cast<const __m256i*>(blk.ql + 64 * h + 32));
        const __m256i qh = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(blk.qh + 32 * h));
        auto group = [&]<int I>() {
          const __m256i q = q6_k_group<I>(ql0, ql1, qh);
          const __m256i sc = q6_k_scale_pair(scales8, 8 * h + 2 * I);
#pragma GCC unroll 8
          for (int c = 0; c < C; ++c) {
            const int8_t* x = cols[c].qs + b * 256 + 128 * h + 32 * I;
            const __m256i xv = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(x));
            sumi[c] = _mm256_add_epi32(sumi[c], _mm256_madd_epi16(sc, _mm256_maddubs_epi16(q, xv)));
          }
        };
        group.template operator()<0>();
        group.template operator()<1>();
        group.template operator()<2>();
        group.template operator()<3>();
      }
      const __m256i scales16 = _mm256_cvtepi8_epi16(scales8);
      const float d = f16_scalar(blk.d);
#pragma GCC unroll 8
      for (int c = 0; c < C; ++c) {
        // -32 offset: sum_g sc_g * 32 * (sum of x over group g)
        const __m256i bs =
            _mm256_loadu_si256(reinterpret_cast<const __m256i*>(cols[c].bsums + b * 16));
        const __m256i corr = _mm256_slli_epi32(_mm256_madd_epi16(scales16, bs), 5);
        const __m256i s = _mm256_sub_epi32(sumi[c], corr);
        acc[r][c] =
            _mm256_fmadd_ps(_mm256_set1_ps(d * cols[c].d[b]), _mm256_cvtepi32_ps(s), acc[r][c]);
      }
    }
  }
  store_tile<R, C>(p, r0, c0, acc);
}

}  // namespace

// A GEMV takes 2 weight rows per tile, not 4: it then prefetches (prefetch_next_rows) half as
// far ahead, and streamed Q4_K and Q6_K 1.1-1.2x faster at 2 threads on Zen 3
// (docs/benchmarks.md).
constexpr int kGemvRows = 2;

void matmul_q4_k(const MatmulPanel& p) {
  if (p.scratch) return gemm_q4_k(p);
  for_each_tile<1, kGemvRows>(
      p.num_rows, p.n, [&]<int R, int C>(int64_t r, int64_t c) { tile_q4_k<R, C>(p, r, c); });
}

void matmul_q6_k(const MatmulPanel& p) {
  if (p.scratch) return gemm_q6_k(p);
  for_each_tile<1, kGemvRows>(
      p.num_rows, p.n, [&]<int R, int C>(int64_t r, int64_t c) { tile_q6_k<R, C>(p, r, c); });
}

}  // namespace turbine::cpu::avx2
