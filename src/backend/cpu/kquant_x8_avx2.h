// AVX2 unpacking of interleaved Q4_K / Q6_K blocks (BlockQ4_Kx8, BlockQ6_Kx8 of interleaved8.h),
// shared by their GEMV (matmul_kquant_x8_avx2.cpp) and the GEMM's repacking
// (matmul_kquant_gemm_avx2.cpp). Internal linkage, like simd_avx2.h.
#pragma once

#include "backend/cpu/interleaved8.h"
#include "backend/cpu/simd_avx2.h"

namespace turbine::cpu {
namespace {

// `pairs` holds two i16 values of row i in lanes (2i, 2i+1); these copy the first or the second
// into both, the form _mm256_madd_epi16 takes against a row's two i16 partial dots.
inline __m256i dup_first(__m256i pairs) {
  return _mm256_shuffle_epi8(pairs, _mm256_setr_epi8(0, 1, 0, 1, 4, 5, 4, 5, 8, 9, 8, 9, 12, 13,
                                                     12, 13, 0, 1, 0, 1, 4, 5, 4, 5, 8, 9, 8, 9,
                                                     12, 13, 12, 13));
}
inline __m256i dup_second(__m256i pairs) {
  return _mm256_shuffle_epi8(pairs, _mm256_setr_epi8(2, 3, 2, 3, 6, 7, 6, 7, 10, 11, 10, 11, 14,
                                                     15, 14, 15, 2, 3, 2, 3, 6, 7, 6, 7, 10, 11,
                                                     10, 11, 14, 15, 14, 15));
}

// T of a BlockQ4_Kx8 (interleaved8.h) into t[128]: t[16 s + 2 i] = row i's scale of sub-block s,
// t[16 s + 2 i + 1] its min.
inline void q4_k_x8_scales_mins(const BlockQ4_Kx8& blk, uint8_t* t) {
  const __m256i m4 = _mm256_set1_epi8(0x0F);
  const __m256i m30 = _mm256_set1_epi8(0x30);
  const __m256i n0 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(blk.sm_lo));
  const __m256i n1 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(blk.sm_lo + 32));
  const __m256i h = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(blk.sm_hi));
  // Shifts are 16-bit, but every bit that crosses into the neighbouring byte is masked off.
  const __m256i t0 =
      _mm256_or_si256(_mm256_and_si256(n0, m4), _mm256_and_si256(_mm256_slli_epi16(h, 4), m30));
  const __m256i t1 =
      _mm256_or_si256(_mm256_and_si256(n1, m4), _mm256_and_si256(_mm256_slli_epi16(h, 2), m30));
  const __m256i t2 = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(n0, 4), m4),
                                     _mm256_and_si256(h, m30));
  const __m256i t3 = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(n1, 4), m4),
                                     _mm256_and_si256(_mm256_srli_epi16(h, 2), m30));
  _mm256_store_si256(reinterpret_cast<__m256i*>(t), t0);
  _mm256_store_si256(reinterpret_cast<__m256i*>(t + 32), t1);
  _mm256_store_si256(reinterpret_cast<__m256i*>(t + 64), t2);
  _mm256_store_si256(reinterpret_cast<__m256i*>(t + 96), t3);
}

// Sub-block s's (scale, min) of the 8 rows as i16 pairs, from q4_k_x8_scales_mins's t.
inline __m256i q4_k_x8_pair(const uint8_t* t, int s) {
  return _mm256_cvtepu8_epi16(_mm_load_si128(reinterpret_cast<const __m128i*>(t + 16 * s)));
}

// Scales 2u and 2u + 1 of the 8 rows of a BlockQ6_Kx8 as i16 pairs.
inline __m256i q6_k_x8_pair(const BlockQ6_Kx8& blk, int u) {
  return _mm256_cvtepi8_epi16(
      _mm_loadu_si128(reinterpret_cast<const __m128i*>(blk.scales + 16 * u)));
}

// Quad q of the 32-element quarter `quarter` of half h of a BlockQ6_Kx8, as 6-bit values: row
// i's elements 128 h + 32 quarter + 4 q + (0..3) in lane i. From the A, B, C of interleaved8.h:
// quarters 0 and 1 are A and B masked, 2 and 3 take their top 2 bits from there and their low
// 4 from C. Shifts are 16-bit; every bit that crosses into the neighbouring byte is masked off.
inline __m256i q6_k_x8_quad(const BlockQ6_Kx8& blk, int h, int quarter, int q) {
  const uint8_t* abc = blk.q + 96 * (8 * h + q);
  const __m256i ab =
      _mm256_loadu_si256(reinterpret_cast<const __m256i*>(abc + 32 * (quarter & 1)));
  if (quarter < 2) return _mm256_and_si256(ab, _mm256_set1_epi8(0x3F));
  const __m256i c = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(abc + 64));
  const __m256i low = quarter == 2 ? c : _mm256_srli_epi16(c, 4);
  return _mm256_or_si256(_mm256_and_si256(low, _mm256_set1_epi8(0x0F)),
                         _mm256_and_si256(_mm256_srli_epi16(ab, 2), _mm256_set1_epi8(0x30)));
}

}  // namespace
}  // namespace turbine::cpu
