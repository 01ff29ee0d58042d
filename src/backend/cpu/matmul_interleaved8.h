// Matmul panels for Q4_0 and Q8_0 weights interleaved in groups of 8 rows (interleaved8.h)
// against q8_0 activations: GEMV (decode) and GEMM (prompts, batched decode). Included by
// matmul_interleaved8_avx2.cpp (kVnni = false: AVX2 maddubs) and matmul_interleaved8_avx512.cpp
// (kVnni = true: the 256-bit _mm256_dpbusd_epi32 of AVX-512 VNNI + VL, same tiles); everything
// here has internal linkage (see simd_avx2.h).
//
// Per group of 8 rows and 32-element block, for one activation row:
//   Q4_0: 4 loads of packed nibbles, split into 8 quads by 4 shifts and 8 ANDs (shared by every
//         activation row of the tile); 8 _mm256_maddubs_epi16 of a quad against 4 activation
//         bytes broadcast to all lanes, each an outer product giving the 8 rows' partial dots as
//         i16 pairs; 7 i16 adds (8 x 2 x 15 x 127 = 30480 fits); one madd to i32; one integer
//         subtract of the -8 offset (8 * sum(x_q), QuantizedRows::block_qsums); one convert and
//         one FMA that scale all 8 rows. About 21 vector ops per 8 row-blocks, against about 12
//         per row-block in matmul_q8_avx2.cpp's row-major GEMV. With VNNI, 8 dpbusd accumulate
//         straight into i32 in place of the maddubs, the i16 adds and the madd.
//   Q8_0: signed x signed, so |w| is the unsigned operand and w's sign moves onto x
//         (_mm256_sign_epi8); a pair sum reaches 2 x 127 x 127, so each quad goes to i32 on its
//         own: abs, sign, maddubs, madd, add per quad, about 44 ops per 8 row-blocks against
//         about 7 per row-block row-major. With VNNI: abs, sign, dpbusd per quad.
// y[c, 8 rows] comes out as one vector, with no horizontal sums.
#pragma once

#include <type_traits>

#include "backend/cpu/interleaved8.h"
#include "backend/cpu/kernel_args.h"
#include "backend/cpu/simd_avx2.h"
#include "backend/cpu/tile_loop.h"

namespace turbine::cpu {
namespace {

// A GEMM with at least this many activation rows splits a Q4_0 panel's nibbles into bytes once
// (in scratch), so its tiles skip the unpacking: 4 of the 25 ops per (group, row, block).
constexpr int64_t kUnpackMinRows = 16;

// One BlockQ4_0x8 with its nibbles split into bytes (0..15): qs[32 j + 4 i + t] = element
// 4 j + t of row i, the element order of BlockQ8_0x8. Exists only in a GEMM's scratch.
struct BlockQ4_0x8Bytes {
  uint16_t d[8];
  uint8_t qs[256];
};

// y[c0 + c, 8 g0 .. 8 (g0 + G)) for c < C: G consecutive groups against C activation rows.
// Packed: BlockQ4_0x8, BlockQ4_0x8Bytes or BlockQ8_0x8. kVnni: dot products by
// _mm256_dpbusd_epi32 (the caller is compiled for AVX-512 VNNI + VL), else maddubs.
template <bool kVnni, class Packed, int G, int C>
inline void tile_x8(const MatmulPanel& p, const Packed* w, int64_t g0, int64_t c0) {
  constexpr bool kQ4 = std::is_same_v<Packed, BlockQ4_0x8>;
  constexpr bool kQ4Bytes = std::is_same_v<Packed, BlockQ4_0x8Bytes>;
  const int64_t nb = p.k / 32;
  const Packed* wg = w + g0 * nb;  // group g0 + i, block b: wg[i * nb + b]
  const int8_t* xq[C];
  const float* xd[C];
#pragma GCC unroll 4
  for (int c = 0; c < C; ++c) {
    xq[c] = p.xq.qs + (c0 + c) * p.k;
    xd[c] = p.xq.d + (c0 + c) * nb;
  }
  const int32_t* qsums = p.xq.block_qsums;  // Q4_0: block b, row c at qsums[b * n + c0 + c]
  const __m256i m4 = _mm256_set1_epi8(0x0F);
  const __m256i ones = _mm256_set1_epi16(1);
  __m256 acc[G][C];
#pragma GCC unroll 4
  for (int i = 0; i < G; ++i)
#pragma GCC unroll 4
    for (int c = 0; c < C; ++c) acc[i][c] = _mm256_setzero_ps();

  for (int64_t b = 0; b < nb; ++b) {
    // A GEMV streams each group's blocks once. Prefetching the whole next tile instead (as the
    // row-major GEMVs do) ran a Q8_0 decode 1.2-1.3x slower (Q4_0 up to 1.15x): a Q8_0 tile is
    // 35-140 KiB, more than L1 holds, so the lines were gone again before use
    // (docs/benchmarks.md).
    if constexpr (C == 1) {
#pragma GCC unroll 4
      for (int i = 0; i < G; ++i) prefetch_ahead(wg + i * nb, b);
    }
    const int8_t* x[C];
#pragma GCC unroll 4
    for (int c = 0; c < C; ++c) x[c] = xq[c] + b * 32;
    // Lane r (32 bits) of dot[i][c] is row 8 (g0 + i) + r's partial sums: one i32 (Q8_0, and
    // Q4_0 with VNNI) or two i16 (Q4_0 with maddubs). Each is summed in order
    // (keep_in_register): left to itself, GCC made the sums a tree over all the block's maddubs
    // and spilled them, which cost a third of the GEMM's speed.
    __m256i dot[G][C];
    if constexpr (kQ4) {
#pragma GCC unroll 4
      for (int j = 0; j < 4; ++j) {
        __m256i lo[G], hi[G];
#pragma GCC unroll 4
        for (int i = 0; i < G; ++i) {
          const __m256i v =
              _mm256_loadu_si256(reinterpret_cast<const __m256i*>(wg[i * nb + b].qs + 32 * j));
          lo[i] = _mm256_and_si256(v, m4);                         // elements 4j..4j+3
          hi[i] = _mm256_and_si256(_mm256_srli_epi16(v, 4), m4);  // elements 16+4j..16+4j+3
        }
#pragma GCC unroll 4
        for (int c = 0; c < C; ++c) {
          const __m256i x_lo = broadcast_quad(x[c] + 4 * j);
          const __m256i x_hi = broadcast_quad(x[c] + 16 + 4 * j);
#pragma GCC unroll 4
          for (int i = 0; i < G; ++i) {
            if constexpr (kVnni) {
              const __m256i d0 = j == 0 ? _mm256_setzero_si256() : dot[i][c];
              dot[i][c] = _mm256_dpbusd_epi32(_mm256_dpbusd_epi32(d0, lo[i], x_lo), hi[i], x_hi);
            } else {
              const __m256i d = _mm256_add_epi16(_mm256_maddubs_epi16(lo[i], x_lo),
                                                 _mm256_maddubs_epi16(hi[i], x_hi));
              dot[i][c] = j == 0 ? d : _mm256_add_epi16(dot[i][c], d);
            }
            keep_in_register(dot[i][c]);
          }
        }
      }
    } else if constexpr (kQ4Bytes) {
#pragma GCC unroll 8
      for (int j = 0; j < 8; ++j) {
        __m256i v[G];
#pragma GCC unroll 4
        for (int i = 0; i < G; ++i)
          v[i] = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(wg[i * nb + b].qs + 32 * j));
#pragma GCC unroll 4
        for (int c = 0; c < C; ++c) {
          const __m256i xb = broadcast_quad(x[c] + 4 * j);
#pragma GCC unroll 4
          for (int i = 0; i < G; ++i) {
            if constexpr (kVnni) {
              const __m256i d0 = j == 0 ? _mm256_setzero_si256() : dot[i][c];
              dot[i][c] = _mm256_dpbusd_epi32(d0, v[i], xb);
            } else {
              const __m256i d = _mm256_maddubs_epi16(v[i], xb);
              dot[i][c] = j == 0 ? d : _mm256_add_epi16(dot[i][c], d);
            }
            keep_in_register(dot[i][c]);
          }
        }
      }
    } else {
#pragma GCC unroll 8
      for (int j = 0; j < 8; ++j) {
        __m256i v[G], a[G];
#pragma GCC unroll 4
        for (int i = 0; i < G; ++i) {
          v[i] = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(wg[i * nb + b].qs + 32 * j));
          a[i] = _mm256_abs_epi8(v[i]);
        }
#pragma GCC unroll 4
        for (int c = 0; c < C; ++c) {
          const __m256i xb = broadcast_quad(x[c] + 4 * j);
#pragma GCC unroll 4
          for (int i = 0; i < G; ++i) {
            const __m256i xs = _mm256_sign_epi8(xb, v[i]);
            if constexpr (kVnni) {
              const __m256i d0 = j == 0 ? _mm256_setzero_si256() : dot[i][c];
              dot[i][c] = _mm256_dpbusd_epi32(d0, a[i], xs);
            } else {
              const __m256i d = _mm256_madd_epi16(_mm256_maddubs_epi16(a[i], xs), ones);
              dot[i][c] = j == 0 ? d : _mm256_add_epi32(dot[i][c], d);
            }
            keep_in_register(dot[i][c]);
          }
        }
      }
    }
#pragma GCC unroll 4
    for (int i = 0; i < G; ++i) {
      const __m256 dw = _mm256_cvtph_ps(
          _mm_loadu_si128(reinterpret_cast<const __m128i*>(wg[i * nb + b].d)));
#pragma GCC unroll 4
      for (int c = 0; c < C; ++c) {
        __m256i i32;
        if constexpr (kQ4 || kQ4Bytes) {
          // (q - 8) . x = q . x - 8 sum(x_q), exact in i32.
          // The sum is broadcast straight from memory, then * 8 in the vector (scaling the
          // scalar first cost a move to a vector register and a shuffle).
          const __m256i qsum = _mm256_set1_epi32(qsums[b * p.n + c0 + c]);
          __m256i q = dot[i][c];
          if constexpr (!kVnni) q = _mm256_madd_epi16(q, ones);  // i16 pairs to i32
          i32 = _mm256_sub_epi32(q, _mm256_slli_epi32(qsum, 3));
        } else {
          i32 = dot[i][c];
        }
        acc[i][c] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(i32),
                                    _mm256_mul_ps(dw, _mm256_broadcast_ss(xd[c] + b)), acc[i][c]);
      }
    }
  }
#pragma GCC unroll 4
  for (int i = 0; i < G; ++i)
#pragma GCC unroll 4
    for (int c = 0; c < C; ++c)
      _mm256_storeu_ps(p.y + (c0 + c) * p.ldy + (g0 + i) * 8, acc[i][c]);
}

// Every group of the panel against activation rows [c0, c0 + C), G groups per tile.
template <bool kVnni, class Packed, int G, int C>
inline void tile_groups(const MatmulPanel& p, const Packed* w, int64_t groups, int64_t c0) {
  int64_t g = 0;
  for (; g + G <= groups; g += G) tile_x8<kVnni, Packed, G, C>(p, w, g, c0);
  if constexpr (G > 1) {
    for (; g < groups; ++g) tile_x8<kVnni, Packed, 1, C>(p, w, g, c0);
  }
}

// Every tile takes 2 groups, so each activation quad broadcast feeds two maddubs; a GEMM tile
// takes 3 activation rows, which share the 2 groups' unpacked weights. Per Q4_0 (group, row,
// block) that is about 25 vector ops: 8 maddubs, 7 i16 adds, 4 broadcasts, 4 for unpacking and
// 6 to finish (21 with the nibbles split beforehand, BlockQ4_0x8Bytes). llvm-mca (znver3) puts the
// 2 x 3 loop at 8.3 cycles per (group, row, block), 7.7 split, against 9.3 for 1 x 4. Measured
// on a 512-row GEMM (Zen 3), 2 x 3 ran Q4_0 1.1-1.2x faster than 1 x 4, 1 x 5, 1 x 6, 2 x 4,
// 3 x 2 and 4 x 2, and Q8_0 within the noise of the best (docs/benchmarks.md).
template <bool kVnni, class Packed>
void tiles_x8(const MatmulPanel& p, const Packed* w) {
  const int64_t groups = p.num_rows / 8;
  // Activation rows outside, so a tile's rows stay in L1 while the panel (sized by the driver
  // to sit in L2) streams past.
  int64_t c0 = 0;
  for (; c0 + 3 <= p.n; c0 += 3) tile_groups<kVnni, Packed, 2, 3>(p, w, groups, c0);
  switch (p.n - c0) {
    case 2:
      tile_groups<kVnni, Packed, 2, 2>(p, w, groups, c0);
      break;
    case 1:
      tile_groups<kVnni, Packed, 2, 1>(p, w, groups, c0);
      break;
    default:
      break;
  }
}

// The panel's groups with their nibbles split (BlockQ4_0x8Bytes), block for block.
void unpack_panel(const MatmulPanel& p, BlockQ4_0x8Bytes* out) {
  const auto* w = reinterpret_cast<const BlockQ4_0x8*>(p.w);
  const int64_t blocks = p.num_rows / 8 * (p.k / 32);
  const __m256i m4 = _mm256_set1_epi8(0x0F);
  for (int64_t i = 0; i < blocks; ++i) {
    __builtin_memcpy(out[i].d, w[i].d, sizeof(w[i].d));
#pragma GCC unroll 4
    for (int j = 0; j < 4; ++j) {
      const __m256i v = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(w[i].qs + 32 * j));
      _mm256_storeu_si256(reinterpret_cast<__m256i*>(out[i].qs + 32 * j), _mm256_and_si256(v, m4));
      _mm256_storeu_si256(reinterpret_cast<__m256i*>(out[i].qs + 32 * (j + 4)),
                          _mm256_and_si256(_mm256_srli_epi16(v, 4), m4));
    }
  }
}

// Precondition: p.num_rows % 8 == 0 and the panel starts on a group (the driver cuts panels at
// multiples of MatmulKernel::row_multiple = 16, so only a matrix's last panel can end in a lone
// group). p.scratch, when given, holds q4_0_x8_scratch_bytes (a GEMM).
template <bool kVnni>
void matmul_q4_0_x8_panel(const MatmulPanel& p) {
  if (p.scratch != nullptr) {
    auto* bytes = reinterpret_cast<BlockQ4_0x8Bytes*>(p.scratch);
    unpack_panel(p, bytes);
    return tiles_x8<kVnni>(p, static_cast<const BlockQ4_0x8Bytes*>(bytes));
  }
  tiles_x8<kVnni>(p, reinterpret_cast<const BlockQ4_0x8*>(p.w));
}
template <bool kVnni>
void matmul_q8_0_x8_panel(const MatmulPanel& p) {
  tiles_x8<kVnni>(p, reinterpret_cast<const BlockQ8_0x8*>(p.w));
}

// Scratch of a Q4_0 panel's GEMM: its nibbles split into bytes, from kUnpackMinRows rows.
inline int64_t q4_0_x8_unpacked_bytes(int64_t rows, int64_t k, int64_t n) {
  if (n < kUnpackMinRows) return 0;
  return rows / 8 * (k / 32) * int64_t(sizeof(BlockQ4_0x8Bytes));
}

}  // namespace
}  // namespace turbine::cpu
