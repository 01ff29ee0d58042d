// Weights interleaved in groups of 8 rows (MatrixLayout::kInterleaved8), the layout the
// kernels of matmul_interleaved8.h (Q4_0, Q8_0; AVX2 and AVX-512 VNNI) and
// matmul_kquant_x8_avx2.cpp (Q4_K, Q6_K) read. Group g holds rows [8g, 8g + 8); its
// k / block_elems blocks follow each other, and block b of the group holds the 8 rows' block b.
// Its quant bytes are interleaved by quads (Q6_K's after rearranging them, below):
//
//   quads[32 j + 4 i + t] = byte 4 j + t of the same quant array of row i (t < 4)
//
// so one 32-byte load (j) holds 4 bytes of each of the 8 rows, one row per 32-bit lane. Against
// 4 activation bytes broadcast to every lane, _mm256_maddubs_epi16 yields the 8 rows' partial
// dots at once (an outer product), and one FMA scales 8 rows with 8 scales widened in one go.
//
//   Q4_0 / Q8_0 (32 elements): d[8] (f16 scale of row i), then qs as quads. Q8_0's bytes are
//     elements 4j..4j+3; Q4_0's low nibbles are elements 4j..4j+3 and its high nibbles
//     16+4j..16+4j+3 (BlockQ4_0's order).
//   Q4_K (256): d[8], dmin[8], 96 bytes of 6-bit scales and mins (below), then qs as quads:
//     quad j's low nibbles are elements 64 (j / 8) + 4 (j % 8) + t (sub-block 2 (j / 8)), its
//     high nibbles the same + 32 (sub-block 2 (j / 8) + 1), as in BlockQ4_K.
//   Q6_K (256): d[8], the 16 int8 scales of each row as pairs (scales[16 u + 2 i + e] = row i's
//     scale 2 u + e, so one sign-extending load gives i16 lanes (2i, 2i+1) = row i's pair u),
//     then the 6-bit quants rearranged (below).
//
// Q4_K's scales: let T[16 s + 2 i] = row i's scale of sub-block s and T[16 s + 2 i + 1] its min
// (128 values of 6 bits). sm_lo[n] holds the low 4 bits of T[n] (n < 64) in its low nibble and
// of T[n + 64] in its high nibble; sm_hi[n] holds the top 2 bits of T[n], T[n + 32], T[n + 64]
// and T[n + 96] in bits 0-1, 2-3, 4-5 and 6-7. Three 32-byte loads and a few shifts and masks
// rebuild T, after which each sub-block's (scale, min) pairs of the 8 rows are 16 bytes.
//
// Q6_K's quants: for half h, quad q and quarter r (< 4), let v_r be the 4 quants of row i at
// elements 128 h + 32 r + 4 q + (0..3) (6 bits each). Three 32-byte arrays A, B, C, one after
// the other from BlockQ6_Kx8::q + 96 (8 h + q), hold them, byte t of lane i being:
//   A = v_0 | (top 2 bits of v_2) << 6      B = v_1 | (top 2 bits of v_3) << 6
//   C = (low 4 bits of v_2) | (low 4 bits of v_3) << 4
// so v_0 and v_1 are one mask each and v_2, v_3 four or five ops, against BlockQ6_K's ql / qh
// order, where every value takes about four (measured in docs/benchmarks.md).
//
// Every block is exactly 8 times the row-major one, so group g starts at byte
// 8g * row_bytes(dtype, k), and panels cut at multiples of 8 rows stay put.
#pragma once

#include <cstdint>

#include "base/dtype.h"

namespace turbine::cpu {

struct BlockQ4_0x8 {
  uint16_t d[8];
  uint8_t qs[128];
};
struct BlockQ8_0x8 {
  uint16_t d[8];
  int8_t qs[256];
};
struct BlockQ4_Kx8 {
  uint16_t d[8];
  uint16_t dmin[8];
  uint8_t sm_lo[64];
  uint8_t sm_hi[32];
  uint8_t qs[1024];
};
struct BlockQ6_Kx8 {
  uint16_t d[8];
  int8_t scales[128];
  uint8_t q[1536];
};
static_assert(sizeof(BlockQ4_0x8) == 8 * sizeof(BlockQ4_0));
static_assert(sizeof(BlockQ8_0x8) == 8 * sizeof(BlockQ8_0));
static_assert(sizeof(BlockQ4_Kx8) == 8 * sizeof(BlockQ4_K));
static_assert(sizeof(BlockQ6_Kx8) == 8 * sizeof(BlockQ6_K));

// Whether t has an interleaved form (Q4_0, Q8_0, Q4_K, Q6_K).
bool has_interleaved8(DType t);

// Interleaves groups [g0, g1) of a row-major matrix of t (nb blocks of t per row) from `src`
// into `dst`, at the same byte offsets. Precondition: has_interleaved8(t).
void pack_interleaved8(DType t, const void* src, int64_t nb, int64_t g0, int64_t g1, void* dst);

// Row `row` of an interleaved matrix of t (nb blocks per row) back as its row-major bytes,
// row_bytes(t, nb * block_elems) of them, identical to the row that was packed.
void unpack_interleaved8_row(DType t, const void* src, int64_t nb, int64_t row, void* out);

}  // namespace turbine::cpu
