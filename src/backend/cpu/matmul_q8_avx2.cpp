// AVX2 matmul panels for row-major Q8_0 and Q4_0 weights against q8_0 activations (interleaved
// ones: matmul_interleaved8.h).
//
// Per 32-element block and (weight row, activation row) pair: _mm256_maddubs_epi16 (u8 x s8 ->
// pairs of i16), _mm256_madd_epi16 to 8 x i32, and one FMA applies the two block scales. A tile of
// R weight rows x C activation rows loads each weight block once for C pairs and each activation
// block once for R pairs.
#include "backend/cpu/kernels_avx2.h"
#include "backend/cpu/simd_avx2.h"
#include "backend/cpu/tile_loop.h"
#include "base/half.h"

namespace turbine::cpu::avx2 {
namespace {

// Q8_0: both operands signed, so the sign of w moves onto x (_mm256_sign_epi8) and |w| is
// the unsigned operand.
// f16: f16_to_f32_table(), for the GEMV (C == 1) scales.
template <int R, int C>
inline void tile_q8_0(const MatmulPanel& p, int64_t r0, int64_t c0, const float* f16) {
  const int64_t nb = p.k / 32;
  const BlockQ8_0* w[R];
#pragma GCC unroll 8
  for (int r = 0; r < R; ++r)
    w[r] = reinterpret_cast<const BlockQ8_0*>(p.w + (r0 + r) * p.w_stride);
  const int8_t* xq[C];
  const float* xd[C];
#pragma GCC unroll 8
  for (int c = 0; c < C; ++c) {
    xq[c] = p.xq.qs + (c0 + c) * p.k;
    xd[c] = p.xq.d + (c0 + c) * nb;
  }
  __m256 acc[R][C];
#pragma GCC unroll 8
  for (int r = 0; r < R; ++r)
#pragma GCC unroll 8
    for (int c = 0; c < C; ++c) acc[r][c] = _mm256_setzero_ps();

  const int64_t step = (R * p.w_stride + nb - 1) / nb;
  for (int64_t b = 0; b < nb; ++b) {
    if constexpr (C == 1) prefetch_next_tile(w[0], R * p.w_stride, b, step);
    __m256i wq[R], wabs[R];
    __m256 wd[R];
#pragma GCC unroll 8
    for (int r = 0; r < R; ++r) {
      wq[r] = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(w[r][b].qs));
      wabs[r] = _mm256_abs_epi8(wq[r]);
      // GEMV: a broadcast load, off the vector ports; a tile with C > 1 amortizes the widen.
      wd[r] = C == 1 ? _mm256_broadcast_ss(f16 + w[r][b].d) : f16_broadcast(w[r][b].d);
    }
#pragma GCC unroll 8
    for (int c = 0; c < C; ++c) {
      const __m256i xv = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(xq[c] + b * 32));
      const __m256 xs = _mm256_broadcast_ss(xd[c] + b);
#pragma GCC unroll 8
      for (int r = 0; r < R; ++r) {
        const __m256i p16 = _mm256_maddubs_epi16(wabs[r], _mm256_sign_epi8(xv, wq[r]));
        const __m256i p32 = _mm256_madd_epi16(p16, _mm256_set1_epi16(1));
        acc[r][c] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(p32), _mm256_mul_ps(wd[r], xs), acc[r][c]);
      }
    }
  }
#pragma GCC unroll 8
  for (int r = 0; r < R; ++r)
#pragma GCC unroll 8
    for (int c = 0; c < C; ++c) p.y[(c0 + c) * p.ldy + r0 + r] = hsum(acc[r][c]);
}

// Q4_0: the nibbles q in [0, 15] are the unsigned operand as they are, and
// (q - 8) . x = q . x - 8 * sum(x): the offset is summed apart, per weight row, as
// sum_b d_w * (d_x * sum(x_q)) from the activations' block_sums (four rows of x per FMA).
template <int R, int C>
inline void tile_q4_0(const MatmulPanel& p, int64_t r0, int64_t c0) {
  const int64_t nb = p.k / 32;
  const BlockQ4_0* w[R];
#pragma GCC unroll 8
  for (int r = 0; r < R; ++r)
    w[r] = reinterpret_cast<const BlockQ4_0*>(p.w + (r0 + r) * p.w_stride);
  const int8_t* xq[C];
  const float* xd[C];
#pragma GCC unroll 8
  for (int c = 0; c < C; ++c) {
    xq[c] = p.xq.qs + (c0 + c) * p.k;
    xd[c] = p.xq.d + (c0 + c) * nb;
  }
  const float* sums = p.xq.block_sums + c0;  // block b: sums[b * n + c], c in [0, 4)
  __m256 acc[R][C];
  __m128 offset[R];  // C > 1: lane c = sum_b d_w * d_x * sum(x_q) of activation row c
#pragma GCC unroll 8
  for (int r = 0; r < R; ++r) {
    offset[r] = _mm_setzero_ps();
#pragma GCC unroll 8
    for (int c = 0; c < C; ++c) acc[r][c] = _mm256_setzero_ps();
  }
  // [qs, qs] >> [0 x 4, 4 x 4] & 0xF: low nibbles (elements 0-15), then high (16-31).
  const __m256i shift = _mm256_setr_epi32(0, 0, 0, 0, 4, 4, 4, 4);
  const __m256i m4 = _mm256_set1_epi8(0x0F);

  for (int64_t b = 0; b < nb; ++b) {
    if constexpr (C == 1) prefetch_next_rows<R>(w, b, p.w_stride);
    // C == 1 (GEMV): the offset goes straight into the accumulator as [-8 s, 0, ..., 0].
    __m256 s1 = _mm256_setzero_ps();
    __m128 s4 = _mm_setzero_ps();
    if constexpr (C == 1) {
      s1 = _mm256_zextps128_ps256(_mm_mul_ss(_mm_load_ss(sums + b * p.n), _mm_set_ss(-8.0f)));
    } else {
      s4 = _mm_loadu_ps(sums + b * p.n);
    }
    __m256i q[R];
    __m256 wd[R];
#pragma GCC unroll 8
    for (int r = 0; r < R; ++r) {
      const __m256i both = _mm256_broadcastsi128_si256(
          _mm_loadu_si128(reinterpret_cast<const __m128i*>(w[r][b].qs)));
      q[r] = _mm256_and_si256(_mm256_srlv_epi32(both, shift), m4);
      wd[r] = f16_broadcast(w[r][b].d);
      if constexpr (C == 1) {
        acc[r][0] = _mm256_fmadd_ps(wd[r], s1, acc[r][0]);
      } else {
        offset[r] = _mm_fmadd_ps(_mm256_castps256_ps128(wd[r]), s4, offset[r]);
      }
    }
#pragma GCC unroll 8
    for (int c = 0; c < C; ++c) {
      const __m256i xv = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(xq[c] + b * 32));
      const __m256 xs = _mm256_broadcast_ss(xd[c] + b);
#pragma GCC unroll 8
      for (int r = 0; r < R; ++r) {
        const __m256i p32 = _mm256_madd_epi16(_mm256_maddubs_epi16(q[r], xv), _mm256_set1_epi16(1));
        acc[r][c] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(p32), _mm256_mul_ps(wd[r], xs), acc[r][c]);
      }
    }
  }
#pragma GCC unroll 8
  for (int r = 0; r < R; ++r) {
    alignas(16) float off[4];
    _mm_store_ps(off, offset[r]);
#pragma GCC unroll 8
    for (int c = 0; c < C; ++c) {
      p.y[(c0 + c) * p.ldy + r0 + r] = hsum(acc[r][c]) - (C == 1 ? 0.0f : 8.0f * off[c]);
    }
  }
}

// Q4_0 GEMV (one activation row), R weight rows as R / 2 pairs, for row-major matrices (a model's
// matrices are interleaved at load and decode on matmul_interleaved8.h instead; this
// serves row counts that are not a multiple of 8 and unprepared views). It spends fewer
// vector-port uops per block than tile_q4_0 (llvm-mca on Zen 3: ~2.9 against ~4.3 cycles per
// row-block):
//   - rows r and r + 1 share one register (low / high 128-bit lane), so one shift + two ANDs
//     split 64 nibbles; the low nibbles meet x[0, 16) and the high x[16, 32), broadcast to both
//     lanes, and the two maddubs results add as i16 (each lane <= 2 * 15 * 127, their sum fits);
//     madd, the offset, cvt, scale and FMA then run once per pair;
//   - the -8 offset is integer: 2 * sum(x_q) off each of a row's 4 i32 lanes is 8 * sum(x_q);
//   - the f16 scales are broadcast loads from f16_to_f32_table(), not widened on the ports.
// Lanes 0-3 of acc[i] sum to row 2i, lanes 4-7 to row 2i + 1.
template <int R>
inline void gemv_q4_0_pairs(const MatmulPanel& p, int64_t r0, int64_t c, const float* f16) {
  static_assert(R % 2 == 0);
  const int64_t nb = p.k / 32;
  const BlockQ4_0* w[R];
#pragma GCC unroll 8
  for (int r = 0; r < R; ++r)
    w[r] = reinterpret_cast<const BlockQ4_0*>(p.w + (r0 + r) * p.w_stride);
  const int8_t* xq = p.xq.qs + c * p.k;
  const float* xd = p.xq.d + c * nb;
  const int32_t* qsums = p.xq.block_qsums + c;  // block b at qsums[b * n]
  const int64_t step = (R * p.w_stride + nb - 1) / nb;
  __m256 acc[R / 2];
#pragma GCC unroll 8
  for (int i = 0; i < R / 2; ++i) acc[i] = _mm256_setzero_ps();
  const __m256i m4 = _mm256_set1_epi8(0x0F);

  for (int64_t b = 0; b < nb; ++b) {
    prefetch_next_tile(w[0], R * p.w_stride, b, step);
    const __m256i x_lo = _mm256_broadcastsi128_si256(
        _mm_loadu_si128(reinterpret_cast<const __m128i*>(xq + b * 32)));
    const __m256i x_hi = _mm256_broadcastsi128_si256(
        _mm_loadu_si128(reinterpret_cast<const __m128i*>(xq + b * 32 + 16)));
    const __m256 xs = _mm256_broadcast_ss(xd + b);
    const __m256i offset = _mm256_slli_epi32(_mm256_set1_epi32(qsums[b * p.n]), 1);
#pragma GCC unroll 8
    for (int i = 0; i < R / 2; ++i) {
      const BlockQ4_0& lo_row = w[2 * i][b];
      const BlockQ4_0& hi_row = w[2 * i + 1][b];
      const __m256i q = _mm256_loadu2_m128i(reinterpret_cast<const __m128i*>(hi_row.qs),
                                            reinterpret_cast<const __m128i*>(lo_row.qs));
      const __m256i q_lo = _mm256_and_si256(q, m4);
      const __m256i q_hi = _mm256_and_si256(_mm256_srli_epi16(q, 4), m4);
      const __m256i p16 = _mm256_add_epi16(_mm256_maddubs_epi16(q_lo, x_lo),
                                           _mm256_maddubs_epi16(q_hi, x_hi));
      const __m256i p32 =
          _mm256_sub_epi32(_mm256_madd_epi16(p16, _mm256_set1_epi16(1)), offset);
      const __m256 wd = _mm256_blend_ps(_mm256_broadcast_ss(f16 + lo_row.d),
                                        _mm256_broadcast_ss(f16 + hi_row.d), 0xF0);
      acc[i] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(p32), _mm256_mul_ps(wd, xs), acc[i]);
    }
  }
#pragma GCC unroll 8
  for (int i = 0; i < R / 2; ++i) {
    __m128 s = _mm_hadd_ps(_mm256_castps256_ps128(acc[i]), _mm256_extractf128_ps(acc[i], 1));
    s = _mm_hadd_ps(s, s);  // [row 2i, row 2i + 1, ...]
    p.y[c * p.ldy + r0 + 2 * i] = _mm_cvtss_f32(s);
    p.y[c * p.ldy + r0 + 2 * i + 1] = _mm_cvtss_f32(_mm_movehdup_ps(s));
  }
}

}  // namespace

void matmul_q8_0(const MatmulPanel& p) {
  if (p.scratch) return gemm_q8_0(p);
  const float* f16 = f16_to_f32_table();
  for_each_tile<1>(p.num_rows, p.n,
                   [&]<int R, int C>(int64_t r, int64_t c) { tile_q8_0<R, C>(p, r, c, f16); });
}

// Reads p.xq.block_sums and block_qsums (MatmulKernel::block_sums).
void matmul_q4_0(const MatmulPanel& p) {
  if (p.scratch) return gemm_q4_0(p);
  const float* f16 = f16_to_f32_table();
  for_each_tile<1>(p.num_rows, p.n, [&]<int R, int C>(int64_t r, int64_t c) {
    if constexpr (C == 1 && R % 2 == 0) {
      gemv_q4_0_pairs<R>(p, r, c, f16);
    } else {
      tile_q4_0<R, C>(p, r, c);
    }
  });
}

}  // namespace turbine::cpu::avx2
