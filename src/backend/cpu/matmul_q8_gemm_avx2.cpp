// AVX2 int8 GEMM for row-major Q4_0 / Q8_0 weights when several activation rows share them (n >=
// kGemmMinCols: prompts, batched decode). A model's matrices with rows % 8 == 0 are interleaved
// at load instead (interleaved8.h, whose layout unpacks to the one built here) and run on
// matmul_interleaved8.h. The dot-product tiles of matmul_q8_avx2.cpp spend about
// 8 vector ops per (weight row, activation row, 32-block); here each panel's weights are first
// repacked (into the thread's scratch), 8 rows at a time, so that one register holds 4
// consecutive k of 8 rows:
//
//   group g, block b (288 bytes):  quad 0:  [r0 k0..3][r1 k0..3] ... [r7 k0..3]    32 bytes
//                                  ...
//                                  quad 7:  [r0 k28..31]        ... [r7 k28..31]   32 bytes
//                                  d of rows 0..7 as f32                           32 bytes
//
// _mm256_maddubs_epi16 of a quad against 4 activation bytes broadcast to all lanes is an outer
// product: the 8 rows' partial dots for one activation row, no horizontal sums anywhere, and
// y[c, r0..r0+8) comes out as one vector. Q4_0's nibbles (0..15) accumulate in i16 over the
// whole block (8 quads x 2 products x 15 x 127 < 32767): ~2.5 ops per (row, column, block).
// Q8_0 is signed: the sign trick and an i32 sum per quad: ~4.5.
#include "backend/cpu/kernels_avx2.h"
#include "backend/cpu/simd_avx2.h"

namespace turbine::cpu::avx2 {
namespace {

constexpr int64_t kGemmMinCols = 4;
constexpr int64_t kGroupRows = 8;
constexpr int64_t kPackedBlockBytes = 8 * 32 + 8 * 4;

// Repacks weight rows [r0, r0 + rows) of the panel (rows <= 8; missing rows become zeros).
template <bool kQ4>
void repack_group(const MatmulPanel& p, int64_t r0, int64_t rows, uint8_t* out) {
  const int64_t nb = p.k / 32;
  const __m256i shift = _mm256_setr_epi32(0, 0, 0, 0, 4, 4, 4, 4);
  const __m256i m4 = _mm256_set1_epi8(0x0F);
  for (int64_t b = 0; b < nb; ++b, out += kPackedBlockBytes) {
    __m256i v[8];
    alignas(32) float d[8];
    for (int r = 0; r < 8; ++r) {
      if (r >= rows) {
        v[r] = _mm256_setzero_si256();
        d[r] = 0.0f;
        continue;
      }
      const uint8_t* row = p.w + (r0 + r) * p.w_stride;
      if constexpr (kQ4) {
        const BlockQ4_0& blk = reinterpret_cast<const BlockQ4_0*>(row)[b];
        const __m256i both =
            _mm256_broadcastsi128_si256(_mm_loadu_si128(reinterpret_cast<const __m128i*>(blk.qs)));
        v[r] = _mm256_and_si256(_mm256_srlv_epi32(both, shift), m4);
        d[r] = f16_scalar(blk.d);
      } else {
        const BlockQ8_0& blk = reinterpret_cast<const BlockQ8_0*>(row)[b];
        v[r] = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(blk.qs));
        d[r] = f16_scalar(blk.d);
      }
    }
    transpose8x8_epi32(v);
    for (int q = 0; q < 8; ++q) _mm256_store_si256(reinterpret_cast<__m256i*>(out + 32 * q), v[q]);
    _mm256_store_ps(reinterpret_cast<float*>(out + 256), _mm256_load_ps(d));
  }
}

// y[c0 + c, r0 .. r0 + rows) for c < C from one repacked group.
template <bool kQ4, int C>
inline void gemm_tile(const MatmulPanel& p, const uint8_t* packed, int64_t r0, int64_t rows,
                      int64_t c0) {
  const int64_t nb = p.k / 32;
  const int8_t* x[C];
  const float* xd[C];
#pragma GCC unroll 4
  for (int c = 0; c < C; ++c) {
    x[c] = p.xq.qs + (c0 + c) * p.k;
    xd[c] = p.xq.d + (c0 + c) * nb;
  }
  const float* sums = p.xq.block_sums + c0;  // Q4_0 offset: block b at sums[b * n + c]
  const __m256i ones = _mm256_set1_epi16(1);
  __m256 acc[C];
#pragma GCC unroll 4
  for (int c = 0; c < C; ++c) acc[c] = _mm256_setzero_ps();

  for (int64_t b = 0; b < nb; ++b, packed += kPackedBlockBytes) {
    __m256i dot[C];  // Q4_0: i16 pair sums over the block; Q8_0: i32 sums
#pragma GCC unroll 4
    for (int c = 0; c < C; ++c) dot[c] = _mm256_setzero_si256();
#pragma GCC unroll 8
    for (int q = 0; q < 8; ++q) {
      const __m256i w = _mm256_load_si256(reinterpret_cast<const __m256i*>(packed + 32 * q));
      if constexpr (kQ4) {
#pragma GCC unroll 4
        for (int c = 0; c < C; ++c) {
          const __m256i xb = broadcast_quad(x[c] + b * 32 + 4 * q);
          dot[c] = _mm256_add_epi16(dot[c], _mm256_maddubs_epi16(w, xb));
          keep_in_register(dot[c]);  // summed in order, not as a tree of spilled products
        }
      } else {
        const __m256i wabs = _mm256_abs_epi8(w);
#pragma GCC unroll 4
        for (int c = 0; c < C; ++c) {
          const __m256i xb = broadcast_quad(x[c] + b * 32 + 4 * q);
          const __m256i p16 = _mm256_maddubs_epi16(wabs, _mm256_sign_epi8(xb, w));
          dot[c] = _mm256_add_epi32(dot[c], _mm256_madd_epi16(p16, ones));
          keep_in_register(dot[c]);
        }
      }
    }
    const __m256 dw = _mm256_load_ps(reinterpret_cast<const float*>(packed + 256));
#pragma GCC unroll 4
    for (int c = 0; c < C; ++c) {
      const __m256i i32 = kQ4 ? _mm256_madd_epi16(dot[c], ones) : dot[c];
      acc[c] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(i32),
                               _mm256_mul_ps(dw, _mm256_broadcast_ss(xd[c] + b)), acc[c]);
      if constexpr (kQ4) {  // (q - 8) . x = q . x - 8 sum(x)
        const __m256 s8 =
            _mm256_mul_ps(_mm256_broadcast_ss(sums + b * p.n + c), _mm256_set1_ps(8.0f));
        acc[c] = _mm256_fnmadd_ps(dw, s8, acc[c]);
      }
    }
  }
#pragma GCC unroll 4
  for (int c = 0; c < C; ++c) {
    float* y = p.y + (c0 + c) * p.ldy + r0;
    if (rows == kGroupRows) {
      _mm256_storeu_ps(y, acc[c]);
    } else {
      alignas(32) float tmp[8];
      _mm256_store_ps(tmp, acc[c]);
      for (int64_t r = 0; r < rows; ++r) y[r] = tmp[r];
    }
  }
}

template <bool kQ4>
void gemm_panel(const MatmulPanel& p) {
  const int64_t nb = p.k / 32;
  const int64_t group_bytes = nb * kPackedBlockBytes;
  const int64_t num_groups = (p.num_rows + kGroupRows - 1) / kGroupRows;
  for (int64_t g = 0; g < num_groups; ++g) {
    repack_group<kQ4>(p, g * kGroupRows, min64(kGroupRows, p.num_rows - g * kGroupRows),
                      p.scratch + g * group_bytes);
  }
  // Column tiles outside, so the 4 activation rows stay in L1 while the repacked panel (sized
  // by the driver to sit in L2) streams past.
  for (int64_t c0 = 0; c0 < p.n; c0 += 4) {
    for (int64_t g = 0; g < num_groups; ++g) {
      const int64_t r0 = g * kGroupRows;
      const int64_t rows = min64(kGroupRows, p.num_rows - r0);
      const uint8_t* packed = p.scratch + g * group_bytes;
      switch (min64(4, p.n - c0)) {
        case 4:
          gemm_tile<kQ4, 4>(p, packed, r0, rows, c0);
          break;
        case 3:
          gemm_tile<kQ4, 3>(p, packed, r0, rows, c0);
          break;
        case 2:
          gemm_tile<kQ4, 2>(p, packed, r0, rows, c0);
          break;
        default:
          gemm_tile<kQ4, 1>(p, packed, r0, rows, c0);
          break;
      }
    }
  }
}

}  // namespace

int64_t gemm_q8_scratch_bytes(int64_t rows, int64_t k, int64_t n) {
  if (n < kGemmMinCols) return 0;
  return (rows + kGroupRows - 1) / kGroupRows * (k / 32) * kPackedBlockBytes;
}

void gemm_q4_0(const MatmulPanel& p) { gemm_panel<true>(p); }
void gemm_q8_0(const MatmulPanel& p) { gemm_panel<false>(p); }

}  // namespace turbine::cpu::avx2
