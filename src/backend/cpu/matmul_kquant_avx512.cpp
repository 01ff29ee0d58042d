// GCC 12's AVX-512 headers self-initialise "undefined" vectors (fixed in GCC 13).
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
// AVX-512 matmul panels for Q4_K and Q6_K weights against q8_k activations: the AVX2
// kernels' scheme at 64 elements per vector, with VNNI's _mm512_dpwssd_epi32 fusing the
// scale multiply-add (madd by i16 sub-block scales) with the accumulation.
#include <cstring>

#include "backend/cpu/kernels_avx512.h"
#include "backend/cpu/q8k_cols.h"
#include "backend/cpu/simd_avx2.h"
#include "backend/cpu/simd_avx512.h"
#include "backend/cpu/tile_loop.h"

namespace turbine::cpu::avx512 {
namespace {

// Permutation of i16 lanes: lanes [16 * i, 16 * i + 16) <- lane a + i for i in {0, 1}.
inline __m512i spread2_mask(int a) {
  return join256(_mm256_set1_epi16(int16_t(a)), _mm256_set1_epi16(int16_t(a + 1)));
}
// lanes [8 * i, 8 * i + 8) <- lane a + i for i in [0, 4).
inline __m512i spread4_mask(int a) {
  return join256(_mm256_set_m128i(_mm_set1_epi16(int16_t(a + 1)), _mm_set1_epi16(int16_t(a))),
                 _mm256_set_m128i(_mm_set1_epi16(int16_t(a + 3)), _mm_set1_epi16(int16_t(a + 2))));
}

template <int R, int C>
inline void store_tile(const MatmulPanel& p, int64_t r0, int64_t c0, const __m512 (&acc)[R][C]) {
#pragma GCC unroll 8
  for (int r = 0; r < R; ++r)
#pragma GCC unroll 8
    for (int c = 0; c < C; ++c) p.y[(c0 + c) * p.ldy + r0 + r] = _mm512_reduce_add_ps(acc[r][c]);
}

template <int R, int C>
inline void tile_q4_k(const MatmulPanel& p, int64_t r0, int64_t c0) {
  const int64_t nb = p.k / 256;
  Q8KCol cols[C];
  load_q8k_cols<C>(p, c0, cols);
  __m512 acc[R][C];
#pragma GCC unroll 8
  for (int r = 0; r < R; ++r)
#pragma GCC unroll 8
    for (int c = 0; c < C; ++c) acc[r][c] = _mm512_setzero_ps();
  const __m256i m4 = _mm256_set1_epi8(0x0F);

  for (int64_t b = 0; b < nb; ++b) {
#pragma GCC unroll 8
    for (int r = 0; r < R; ++r) {
      const auto& blk = reinterpret_cast<const BlockQ4_K*>(p.w + (r0 + r) * p.w_stride)[b];
      const __m256i scales_mins = q4_k_scales_mins(blk.scales);
      const __m512i sm512 = _mm512_zextsi256_si512(scales_mins);
      const __m128i mins = _mm256_extracti128_si256(scales_mins, 1);
      __m512i sumi[C];
#pragma GCC unroll 8
      for (int c = 0; c < C; ++c) sumi[c] = _mm512_setzero_si512();
      for (int j = 0; j < 4; ++j) {  // 64 elements: sub-block 2j (low nibbles), 2j+1 (high)
        const __m512i sc = _mm512_permutexvar_epi16(spread2_mask(2 * j), sm512);
        const __m256i bits = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(blk.qs + 32 * j));
        const __m512i q =
            join256(_mm256_and_si256(bits, m4), _mm256_and_si256(_mm256_srli_epi16(bits, 4), m4));
#pragma GCC unroll 8
        for (int c = 0; c < C; ++c) {
          const __m512i xv = _mm512_loadu_si512(cols[c].qs + b * 256 + 64 * j);
          sumi[c] = _mm512_dpwssd_epi32(sumi[c], sc, _mm512_maddubs_epi16(q, xv));
        }
      }
      const float d = f16_scalar(blk.d), dmin = f16_scalar(blk.dmin);
#pragma GCC unroll 8
      for (int c = 0; c < C; ++c) {
        const float dx = cols[c].d[b];
        acc[r][c] = _mm512_fmadd_ps(_mm512_set1_ps(d * dx), _mm512_cvtepi32_ps(sumi[c]), acc[r][c]);
        const __m256i bs =
            _mm256_loadu_si256(reinterpret_cast<const __m256i*>(cols[c].bsums + b * 16));
        const __m128i sums32 =
            _mm_hadd_epi16(_mm256_castsi256_si128(bs), _mm256_extracti128_si256(bs, 1));
        const __m128 pm = _mm_cvtepi32_ps(_mm_madd_epi16(mins, sums32));
        acc[r][c] = _mm512_fnmadd_ps(_mm512_set1_ps(dmin * dx),
                                     _mm512_insertf32x4(_mm512_setzero_ps(), pm, 0), acc[r][c]);
      }
    }
  }
  store_tile<R, C>(p, r0, c0, acc);
}

template <int R, int C>
inline void tile_q6_k(const MatmulPanel& p, int64_t r0, int64_t c0) {
  const int64_t nb = p.k / 256;
  Q8KCol cols[C];
  load_q8k_cols<C>(p, c0, cols);
  __m512 acc[R][C];
#pragma GCC unroll 8
  for (int r = 0; r < R; ++r)
#pragma GCC unroll 8
    for (int c = 0; c < C; ++c) acc[r][c] = _mm512_setzero_ps();
  const __m512i m4 = _mm512_set1_epi8(0x0F);
  const __m512i m2 = _mm512_set1_epi8(0x03);

  for (int64_t b = 0; b < nb; ++b) {
#pragma GCC unroll 8
    for (int r = 0; r < R; ++r) {
      const auto& blk = reinterpret_cast<const BlockQ6_K*>(p.w + (r0 + r) * p.w_stride)[b];
      const __m256i scales16 =
          _mm256_cvtepi8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(blk.scales)));
      const __m512i sc512 = _mm512_zextsi256_si512(scales16);
      __m512i sumi[C];
#pragma GCC unroll 8
      for (int c = 0; c < C; ++c) sumi[c] = _mm512_setzero_si512();
      for (int h = 0; h < 2; ++h) {  // 128 elements: ql[64h .. 64h+63], qh[32h .. 32h+31]
        const __m512i l = _mm512_loadu_si512(blk.ql + 64 * h);
        const __m256i hb = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(blk.qh + 32 * h));
        const __m512i hh = join256(hb, _mm256_srli_epi16(hb, 2));  // bits 0-1: elements 0..63
        const __m512i q_lo = _mm512_or_si512(_mm512_and_si512(l, m4),
                                             _mm512_slli_epi16(_mm512_and_si512(hh, m2), 4));
        const __m512i q_hi =
            _mm512_or_si512(_mm512_and_si512(_mm512_srli_epi16(l, 4), m4),
                            _mm512_slli_epi16(_mm512_and_si512(_mm512_srli_epi16(hh, 4), m2), 4));
        const __m512i sc_lo = _mm512_permutexvar_epi16(spread4_mask(8 * h), sc512);
        const __m512i sc_hi = _mm512_permutexvar_epi16(spread4_mask(8 * h + 4), sc512);
#pragma GCC unroll 8
        for (int c = 0; c < C; ++c) {
          const int8_t* x = cols[c].qs + b * 256 + 128 * h;
          sumi[c] = _mm512_dpwssd_epi32(sumi[c], sc_lo,
                                        _mm512_maddubs_epi16(q_lo, _mm512_loadu_si512(x)));
          sumi[c] = _mm512_dpwssd_epi32(sumi[c], sc_hi,
                                        _mm512_maddubs_epi16(q_hi, _mm512_loadu_si512(x + 64)));
        }
      }
      const float d = f16_scalar(blk.d);
#pragma GCC unroll 8
      for (int c = 0; c < C; ++c) {
        // -32 offset: sum_g sc_g * 32 * (sum of x over group g)
        const __m256i bs =
            _mm256_loadu_si256(reinterpret_cast<const __m256i*>(cols[c].bsums + b * 16));
        const __m256i corr = _mm256_slli_epi32(_mm256_madd_epi16(scales16, bs), 5);
        const __m512i s = _mm512_sub_epi32(sumi[c], _mm512_zextsi256_si512(corr));
        acc[r][c] =
            _mm512_fmadd_ps(_mm512_set1_ps(d * cols[c].d[b]), _mm512_cvtepi32_ps(s), acc[r][c]);
      }
    }
  }
  store_tile<R, C>(p, r0, c0, acc);
}

}  // namespace

void matmul_q4_k(const MatmulPanel& p) {
  for_each_tile<1>(p.num_rows, p.n,
                   [&]<int R, int C>(int64_t r, int64_t c) { tile_q4_k<R, C>(p, r, c); });
}

void matmul_q6_k(const MatmulPanel& p) {
  for_each_tile<1>(p.num_rows, p.n,
                   [&]<int R, int C>(int64_t r, int64_t c) { tile_q6_k<R, C>(p, r, c); });
}

}  // namespace turbine::cpu::avx512
