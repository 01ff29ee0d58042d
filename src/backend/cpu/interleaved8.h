// Q4_0 and Q8_0 weights interleaved in groups of 8 rows (MatrixLayout::kInterleaved8), the
// layout the AVX2 kernels of matmul_interleaved8_avx2.cpp read. Group g holds rows
// [8g, 8g + 8); its k / 32 blocks follow each other, and block b of the group holds the 8 rows'
// block b:
//
//   d[i]                 f16 scale of row i                                       16 bytes
//   qs[32 j + 4 i + t] = byte 4 j + t of row i's qs (t < 4)             Q4_0: 128, Q8_0: 256
//
// so one 32-byte load (j) holds 4 bytes of each of the 8 rows, one row per 32-bit lane. Against
// 4 activation bytes broadcast to every lane, _mm256_maddubs_epi16 yields the 8 rows' partial
// dots at once (an outer product), and one FMA scales 8 rows with 8 scales widened in one go.
// Q8_0's bytes are elements 4j..4j+3; Q4_0's low nibbles are elements 4j..4j+3 and its high
// nibbles 16+4j..16+4j+3 (BlockQ4_0's order). A group takes the bytes of its 8 rows, so group
// g starts at byte 8g * row_bytes(dtype, k), and panels cut at multiples of 8 rows stay put.
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
static_assert(sizeof(BlockQ4_0x8) == 8 * sizeof(BlockQ4_0));
static_assert(sizeof(BlockQ8_0x8) == 8 * sizeof(BlockQ8_0));

// Whether t has an interleaved form (Q4_0, Q8_0).
bool has_interleaved8(DType t);

// Interleaves groups [g0, g1) of a row-major matrix of t (nb blocks per row) from `src` into
// `dst`, at the same byte offsets. Precondition: has_interleaved8(t).
void pack_interleaved8(DType t, const void* src, int64_t nb, int64_t g0, int64_t g1, void* dst);

// Row `row` of an interleaved matrix of t (nb blocks per row) back as its row_bytes(t, 32 nb)
// row-major bytes.
void unpack_interleaved8_row(DType t, const void* src, int64_t nb, int64_t row, void* out);

}  // namespace turbine::cpu
