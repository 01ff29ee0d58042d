// GCC 12's AVX-512 headers self-initialise "undefined" vectors (fixed in GCC 13).
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
// AVX-512 matmul panels for F16 weights (widened 16 at a time, FMA against f32 activations)
// and BF16 weights (_mm512_dpbf16_ps: 32 bf16 products per instruction against activations
// the driver rounded to bf16). Same dot-product tiling as the AVX2 float kernels, 4 x 4 here
// (32 vector registers).
#include "backend/cpu/kernels_avx512.h"
#include "backend/cpu/simd_avx2.h"
#include "backend/cpu/simd_avx512.h"
#include "backend/cpu/tile_loop.h"

namespace turbine::cpu::avx512 {
namespace {

template <int R, int C>
inline void tile_f16(const MatmulPanel& p, int64_t r0, int64_t c0) {
  const uint16_t* w[R];
#pragma GCC unroll 8
  for (int r = 0; r < R; ++r) w[r] = reinterpret_cast<const uint16_t*>(p.w + (r0 + r) * p.w_stride);
  const float* x[C];
#pragma GCC unroll 8
  for (int c = 0; c < C; ++c) x[c] = p.x + (c0 + c) * p.k;
  __m512 acc[R][C];
#pragma GCC unroll 8
  for (int r = 0; r < R; ++r)
#pragma GCC unroll 8
    for (int c = 0; c < C; ++c) acc[r][c] = _mm512_setzero_ps();

  int64_t i = 0;
  for (; i + 16 <= p.k; i += 16) {
    __m512 wv[R];
#pragma GCC unroll 8
    for (int r = 0; r < R; ++r)
      wv[r] = _mm512_cvtph_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(w[r] + i)));
#pragma GCC unroll 8
    for (int c = 0; c < C; ++c) {
      const __m512 xv = _mm512_loadu_ps(x[c] + i);
#pragma GCC unroll 8
      for (int r = 0; r < R; ++r) acc[r][c] = _mm512_fmadd_ps(wv[r], xv, acc[r][c]);
    }
  }
#pragma GCC unroll 8
  for (int r = 0; r < R; ++r) {
#pragma GCC unroll 8
    for (int c = 0; c < C; ++c) {
      float sum = _mm512_reduce_add_ps(acc[r][c]);
      for (int64_t t = i; t < p.k; ++t) sum += f16_scalar(w[r][t]) * x[c][t];
      p.y[(c0 + c) * p.ldy + r0 + r] = sum;
    }
  }
}

template <int R, int C>
inline void tile_bf16(const MatmulPanel& p, int64_t r0, int64_t c0) {
  const uint16_t* w[R];
#pragma GCC unroll 8
  for (int r = 0; r < R; ++r) w[r] = reinterpret_cast<const uint16_t*>(p.w + (r0 + r) * p.w_stride);
  const uint16_t* x[C];
#pragma GCC unroll 8
  for (int c = 0; c < C; ++c) x[c] = p.x_bf16 + (c0 + c) * p.k;
  __m512 acc[R][C];
#pragma GCC unroll 8
  for (int r = 0; r < R; ++r)
#pragma GCC unroll 8
    for (int c = 0; c < C; ++c) acc[r][c] = _mm512_setzero_ps();

  int64_t i = 0;
  for (; i + 32 <= p.k; i += 32) {
    __m512bh wv[R];
#pragma GCC unroll 8
    for (int r = 0; r < R; ++r) wv[r] = as_bf16x32(_mm512_loadu_si512(w[r] + i));
#pragma GCC unroll 8
    for (int c = 0; c < C; ++c) {
      const __m512bh xv = as_bf16x32(_mm512_loadu_si512(x[c] + i));
#pragma GCC unroll 8
      for (int r = 0; r < R; ++r) acc[r][c] = _mm512_dpbf16_ps(acc[r][c], wv[r], xv);
    }
  }
#pragma GCC unroll 8
  for (int r = 0; r < R; ++r) {
#pragma GCC unroll 8
    for (int c = 0; c < C; ++c) {
      float sum = _mm512_reduce_add_ps(acc[r][c]);
      for (int64_t t = i; t < p.k; ++t) sum += bf16_scalar(w[r][t]) * bf16_scalar(x[c][t]);
      p.y[(c0 + c) * p.ldy + r0 + r] = sum;
    }
  }
}

}  // namespace

void matmul_f16(const MatmulPanel& p) {
  for_each_tile<4>(p.num_rows, p.n,
                   [&]<int R, int C>(int64_t r, int64_t c) { tile_f16<R, C>(p, r, c); });
}

void matmul_bf16(const MatmulPanel& p) {
  for_each_tile<4>(p.num_rows, p.n,
                   [&]<int R, int C>(int64_t r, int64_t c) { tile_bf16<R, C>(p, r, c); });
}

}  // namespace turbine::cpu::avx512
