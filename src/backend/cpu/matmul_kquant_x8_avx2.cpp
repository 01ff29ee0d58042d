// AVX2 matmul panels for Q4_K and Q6_K weights interleaved in groups of 8 rows (interleaved8.h)
// against q8_K activations: the GEMV and batched decode of up to 11 rows. A larger GEMM (the
// driver gives scratch: gemm_kquant_x8_scratch_bytes) repacks for the tiles of
// matmul_kquant_gemm_avx2.cpp instead.
//
// As in matmul_interleaved8.h, a 32-byte load holds 4 quants of each of the 8 rows and
// _mm256_maddubs_epi16 against 4 activations broadcast to every lane is an outer product: the
// 8 rows' partial dots come out in one register, with no horizontal sums. The quants are
// unsigned (Q4_K 0..15, Q6_K 0..63), so they are maddubs' unsigned operand as they are.
//   Q4_K: a sub-block's 8 quads sum in i16 (8 x 2 x 15 x 128 = 30720 fits), then one
//         _mm256_madd_epi16 by the rows' scales (each duplicated into both i16 of its lane)
//         folds the scales in. The mins, d_min * m_s * sum(x over s), come from the
//         activations' 16-element sums: one dword of bsums holds the two of a sub-block, and a
//         madd with the mins duplicated likewise adds them up.
//   Q6_K: two quads sum in i16 (2 x 2 x 63 x 128 = 32256 fits) before the madd by the scale of
//         their 16 elements. The -32 offset is 32 * sum_g sc_g * sum(x over g), from bsums and
//         the scale pairs, subtracted in i32 before the one convert.
// Against the row-major kernels (matmul_kquant_avx2.cpp), which reload the activations and
// unpack the scales for every row and end each row in a horizontal sum, a GEMV from L2 ran
// Q4_K 1.8x and Q6_K 1.3x faster on Zen 3 (from memory 1.45x and 1.4x), and a whole
// Q4_K_M-style decode 1.3-1.4x faster (docs/benchmarks.md).
#include "backend/cpu/interleaved8.h"
#include "backend/cpu/kernels_avx2.h"
#include "backend/cpu/kquant_x8_avx2.h"
#include "backend/cpu/q8k_cols.h"
#include "backend/cpu/simd_avx2.h"
#include "backend/cpu/tile_loop.h"

namespace turbine::cpu::avx2 {
namespace {

// The two 16-element sums of activations starting at 32 j, broadcast (one dword of bsums).
inline __m256i broadcast_bsum_pair(const int16_t* bsums, int j) {
  return broadcast_quad(reinterpret_cast<const int8_t*>(bsums + 2 * j));
}

// acc[c] += isum[c] * d * (activation row c's scale of super-block b), d the 8 rows' f16 scales.
template <int C>
inline void add_scaled(const __m256i (&isum)[C], const uint16_t* d8, const Q8KCol (&x)[C],
                       int64_t b, __m256 (&acc)[C]) {
  const __m256 d = load_f16x8(d8);
#pragma GCC unroll 4
  for (int c = 0; c < C; ++c) {
    acc[c] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(isum[c]),
                             _mm256_mul_ps(d, _mm256_broadcast_ss(x[c].d + b)), acc[c]);
  }
}

template <int C>
inline void store_tile(const MatmulPanel& p, int64_t g, int64_t c0, const __m256 (&acc)[C]) {
#pragma GCC unroll 4
  for (int c = 0; c < C; ++c) _mm256_storeu_ps(p.y + (c0 + c) * p.ldy + g * 8, acc[c]);
}

// y[c0 + c, 8 g .. 8 g + 8) for c < C: group g (w[g * nb ..]) against C activation rows.
template <int C>
inline void tile_q4_k(const MatmulPanel& p, const BlockQ4_Kx8* w, int64_t g, int64_t c0) {
  const int64_t nb = p.k / 256;
  const BlockQ4_Kx8* wg = w + g * nb;
  Q8KCol x[C];
  load_q8k_cols<C>(p, c0, x);
  const __m256i m4 = _mm256_set1_epi8(0x0F);
  __m256 acc[C];
#pragma GCC unroll 4
  for (int c = 0; c < C; ++c) acc[c] = _mm256_setzero_ps();

  for (int64_t b = 0; b < nb; ++b) {
    const BlockQ4_Kx8& blk = wg[b];
    alignas(32) uint8_t t[128];
    q4_k_x8_scales_mins(blk, t);
    // The mins first, straight into acc, so that their sum is not live through the dots.
    const __m256 dmin = load_f16x8(blk.dmin);
#pragma GCC unroll 4
    for (int c = 0; c < C; ++c) {
      __m256i msum = _mm256_setzero_si256();
#pragma GCC unroll 8
      for (int s = 0; s < 8; ++s) {
        const __m256i bsums = broadcast_bsum_pair(x[c].bsums + b * 16, s);
        msum = _mm256_add_epi32(msum, _mm256_madd_epi16(dup_second(q4_k_x8_pair(t, s)), bsums));
      }
      acc[c] = _mm256_fnmadd_ps(_mm256_cvtepi32_ps(msum),
                                _mm256_mul_ps(dmin, _mm256_broadcast_ss(x[c].d + b)), acc[c]);
    }
    __m256i isum[C];
#pragma GCC unroll 4
    for (int j = 0; j < 4; ++j) {  // sub-blocks 2j (low nibbles) and 2j + 1 (high nibbles)
      // A GEMV streams each group once: see prefetch_ahead_part.
      if constexpr (C == 1) prefetch_ahead_part<4>(wg, b, j);
      __m256i lo16[C], hi16[C];
#pragma GCC unroll 8
      for (int q = 0; q < 8; ++q) {
        const __m256i v =
            _mm256_loadu_si256(reinterpret_cast<const __m256i*>(blk.qs + 32 * (8 * j + q)));
        const __m256i lo = _mm256_and_si256(v, m4);
        const __m256i hi = _mm256_and_si256(_mm256_srli_epi16(v, 4), m4);
#pragma GCC unroll 4
        for (int c = 0; c < C; ++c) {
          const int8_t* xj = x[c].qs + b * 256 + 64 * j + 4 * q;
          const __m256i l = _mm256_maddubs_epi16(lo, broadcast_quad(xj));
          const __m256i h = _mm256_maddubs_epi16(hi, broadcast_quad(xj + 32));
          lo16[c] = q == 0 ? l : _mm256_add_epi16(lo16[c], l);
          hi16[c] = q == 0 ? h : _mm256_add_epi16(hi16[c], h);
          keep_in_register(lo16[c]);  // summed in order (see matmul_interleaved8.h)
          keep_in_register(hi16[c]);
        }
      }
      const __m256i sc_lo = dup_first(q4_k_x8_pair(t, 2 * j));
      const __m256i sc_hi = dup_first(q4_k_x8_pair(t, 2 * j + 1));
#pragma GCC unroll 4
      for (int c = 0; c < C; ++c) {
        const __m256i s = _mm256_add_epi32(_mm256_madd_epi16(lo16[c], sc_lo),
                                           _mm256_madd_epi16(hi16[c], sc_hi));
        isum[c] = j == 0 ? s : _mm256_add_epi32(isum[c], s);
      }
    }
    add_scaled<C>(isum, blk.d, x, b, acc);
  }
  store_tile<C>(p, g, c0, acc);
}

template <int C>
inline void tile_q6_k(const MatmulPanel& p, const BlockQ6_Kx8* w, int64_t g, int64_t c0) {
  const int64_t nb = p.k / 256;
  const BlockQ6_Kx8* wg = w + g * nb;
  Q8KCol x[C];
  load_q8k_cols<C>(p, c0, x);
  __m256 acc[C];
#pragma GCC unroll 4
  for (int c = 0; c < C; ++c) acc[c] = _mm256_setzero_ps();

  for (int64_t b = 0; b < nb; ++b) {
    const BlockQ6_Kx8& blk = wg[b];
    // The -32 offset first: isum starts at -32 * sum_g sc_g * sum(x over g).
    __m256i isum[C];
#pragma GCC unroll 4
    for (int c = 0; c < C; ++c) {
      __m256i off = _mm256_setzero_si256();
#pragma GCC unroll 8
      for (int u = 0; u < 8; ++u) {
        off = _mm256_add_epi32(off, _mm256_madd_epi16(q6_k_x8_pair(blk, u),
                                                      broadcast_bsum_pair(x[c].bsums + b * 16, u)));
      }
      isum[c] = _mm256_sub_epi32(_mm256_setzero_si256(), _mm256_slli_epi32(off, 5));
    }
#pragma GCC unroll 2
    for (int h = 0; h < 2; ++h) {
#pragma GCC unroll 4
      for (int quarter = 0; quarter < 4; ++quarter) {
        if constexpr (C == 1) prefetch_ahead_part<8>(wg, b, 4 * h + quarter);
        // Quads 0-3 of the quarter are 16-element group 8 h + 2 quarter, quads 4-7 the next:
        // scale pair u = 4 h + quarter.
        const __m256i pair = q6_k_x8_pair(blk, 4 * h + quarter);
        const __m256i sc[2] = {dup_first(pair), dup_second(pair)};
#pragma GCC unroll 4
        for (int qq = 0; qq < 4; ++qq) {  // quads 2 qq, 2 qq + 1
          const __m256i v0 = q6_k_x8_quad(blk, h, quarter, 2 * qq);
          const __m256i v1 = q6_k_x8_quad(blk, h, quarter, 2 * qq + 1);
#pragma GCC unroll 4
          for (int c = 0; c < C; ++c) {
            const int8_t* xq = x[c].qs + b * 256 + 128 * h + 32 * quarter + 8 * qq;
            const __m256i a16 = _mm256_add_epi16(_mm256_maddubs_epi16(v0, broadcast_quad(xq)),
                                                 _mm256_maddubs_epi16(v1, broadcast_quad(xq + 4)));
            isum[c] = _mm256_add_epi32(isum[c], _mm256_madd_epi16(a16, sc[qq / 2]));
            keep_in_register(isum[c]);
          }
        }
      }
    }
    add_scaled<C>(isum, blk.d, x, b, acc);
  }
  store_tile<C>(p, g, c0, acc);
}

// Every group of the panel against 1-3 activation rows at a time. One group per tile: with two
// (sharing each activation broadcast, as the Q4_0 / Q8_0 GEMVs do) the GEMV spilled, and
// streamed Q4_K 1.1x and Q6_K 1.2-1.7x slower on Zen 3 (docs/benchmarks.md). More than 3
// activation rows take 3 at a time (the panel stays in L2 between passes).
template <class Packed, class Tile>
void tiles_x8(const MatmulPanel& p, Tile tile) {
  const auto* w = reinterpret_cast<const Packed*>(p.w);
  const int64_t groups = p.num_rows / 8;
  auto all_groups = [&]<int C>(int64_t c0) {
    for (int64_t g = 0; g < groups; ++g) tile.template operator()<C>(w, g, c0);
  };
  int64_t c0 = 0;
  for (; c0 + 3 <= p.n; c0 += 3) all_groups.template operator()<3>(c0);
  switch (p.n - c0) {
    case 2:
      return all_groups.template operator()<2>(c0);
    case 1:
      return all_groups.template operator()<1>(c0);
    default:
      return;
  }
}

}  // namespace

// Precondition: p.num_rows % 8 == 0 and the panel starts on a group.
void matmul_q4_k_x8(const MatmulPanel& p) {
  if (p.scratch != nullptr) return gemm_q4_k_x8(p);
  tiles_x8<BlockQ4_Kx8>(p, [&]<int C>(const BlockQ4_Kx8* w, int64_t g, int64_t c) {
    tile_q4_k<C>(p, w, g, c);
  });
}

void matmul_q6_k_x8(const MatmulPanel& p) {
  if (p.scratch != nullptr) return gemm_q6_k_x8(p);
  tiles_x8<BlockQ6_Kx8>(p, [&]<int C>(const BlockQ6_Kx8* w, int64_t g, int64_t c) {
    tile_q6_k<C>(p, w, g, c);
  });
}

}  // namespace turbine::cpu::avx2
