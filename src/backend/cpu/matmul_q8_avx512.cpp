// GCC 12's AVX-512 headers self-initialise "undefined" vectors (fixed in GCC 13).
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
// AVX-512 VNNI matmul panels for Q8_0 and Q4_0 weights against q8_0 activations; the AVX2
// kernels' structure with two 32-element blocks per 512-bit vector and _mm512_dpbusd_epi32
// (u8 x s8, four products summed into each i32 lane) in place of maddubs + madd.
//
// dpbusd needs one unsigned operand:
//   Q8_0: u = x + 128 (x ^ 0x80), and each pair's accumulator starts at -128 * sum(w) lanes
//         (dpbusd of 0x80 bytes with w), computed once per weight block pair;
//   Q4_0: the nibbles q in [0, 15] are the unsigned side, and (q - 8) . x = q . x - 8 sum(x):
//         the accumulator starts at -8 * sum(x) lanes, computed once per activation block pair.
#include <type_traits>

#include "backend/cpu/kernels_avx512.h"
#include "backend/cpu/simd_avx2.h"
#include "backend/cpu/simd_avx512.h"
#include "backend/cpu/tile_loop.h"

namespace turbine::cpu::avx512 {
namespace {

template <bool kQ4, int R, int C>
inline void tile(const MatmulPanel& p, int64_t r0, int64_t c0) {
  using Block = std::conditional_t<kQ4, BlockQ4_0, BlockQ8_0>;
  const int64_t nb = p.k / 32;
  const Block* w[R];
#pragma GCC unroll 8
  for (int r = 0; r < R; ++r) w[r] = reinterpret_cast<const Block*>(p.w + (r0 + r) * p.w_stride);
  const int8_t* xq[C];
  const float* xd[C];
#pragma GCC unroll 8
  for (int c = 0; c < C; ++c) {
    xq[c] = p.xq.qs + (c0 + c) * p.k;
    xd[c] = p.xq.d + (c0 + c) * nb;
  }
  __m512 acc[R][C];
#pragma GCC unroll 8
  for (int r = 0; r < R; ++r)
#pragma GCC unroll 8
    for (int c = 0; c < C; ++c) acc[r][c] = _mm512_setzero_ps();
  const __m512i zero = _mm512_setzero_si512();

  // Blocks b and b + 1 (only b when `single`: the odd last block; its upper half is zero).
  auto step = [&](int64_t b, bool single) {
    __m512i wq[R], w_init[R];
    __m512 wd[R];
#pragma GCC unroll 8
    for (int r = 0; r < R; ++r) {
      const Block& b0 = w[r][b];
      const float d0 = f16_scalar(b0.d);
      const float d1 = single ? 0.0f : f16_scalar(w[r][b + 1].d);
      wd[r] = pair_ps(d0, d1);
      if constexpr (kQ4) {
        const __m128i q0 = _mm_loadu_si128(reinterpret_cast<const __m128i*>(b0.qs));
        const __m128i q1 = single
                               ? _mm_setzero_si128()
                               : _mm_loadu_si128(reinterpret_cast<const __m128i*>(w[r][b + 1].qs));
        wq[r] = unpack_nibbles_pair(q0, q1);
      } else {
        const __m256i q0 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(b0.qs));
        const __m256i q1 =
            single ? _mm256_setzero_si256()
                   : _mm256_loadu_si256(reinterpret_cast<const __m256i*>(w[r][b + 1].qs));
        wq[r] = join256(q0, q1);
        w_init[r] =
            _mm512_sub_epi32(zero, _mm512_dpbusd_epi32(zero, _mm512_set1_epi8(char(0x80)), wq[r]));
      }
    }
#pragma GCC unroll 8
    for (int c = 0; c < C; ++c) {
      const int8_t* x = xq[c] + b * 32;
      const __m512i xv =
          single ? _mm512_zextsi256_si512(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(x)))
                 : _mm512_loadu_si512(x);
      const __m512 xs = pair_ps(xd[c][b], single ? 0.0f : xd[c][b + 1]);
      if constexpr (kQ4) {
        const __m512i x_init =
            _mm512_sub_epi32(zero, _mm512_dpbusd_epi32(zero, _mm512_set1_epi8(8), xv));
#pragma GCC unroll 8
        for (int r = 0; r < R; ++r) {
          const __m512i dot = _mm512_dpbusd_epi32(x_init, wq[r], xv);
          acc[r][c] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(dot), _mm512_mul_ps(wd[r], xs), acc[r][c]);
        }
      } else {
        const __m512i u = _mm512_xor_si512(xv, _mm512_set1_epi8(char(0x80)));
#pragma GCC unroll 8
        for (int r = 0; r < R; ++r) {
          const __m512i dot = _mm512_dpbusd_epi32(w_init[r], u, wq[r]);
          acc[r][c] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(dot), _mm512_mul_ps(wd[r], xs), acc[r][c]);
        }
      }
    }
  };
  int64_t b = 0;
  for (; b + 2 <= nb; b += 2) step(b, false);
  if (b < nb) step(b, true);

#pragma GCC unroll 8

  for (int r = 0; r < R; ++r)
#pragma GCC unroll 8
    for (int c = 0; c < C; ++c) p.y[(c0 + c) * p.ldy + r0 + r] = _mm512_reduce_add_ps(acc[r][c]);
}

template <bool kQ4>
void panel(const MatmulPanel& p) {
  for_each_tile<2>(p.num_rows, p.n,
                   [&]<int R, int C>(int64_t r, int64_t c) { tile<kQ4, R, C>(p, r, c); });
}

}  // namespace

void matmul_q8_0(const MatmulPanel& p) { panel<false>(p); }
void matmul_q4_0(const MatmulPanel& p) { panel<true>(p); }

}  // namespace turbine::cpu::avx512
