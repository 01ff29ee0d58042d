// AVX-512 helpers for the *_avx512.cpp kernels (F/BW/VL/DQ + VNNI + BF16). Internal linkage
// only, like simd_avx2.h (which these files also use).
#pragma once

#include <immintrin.h>

#include <cstdint>
#include <cstring>

namespace turbine::cpu {
namespace {

// [a x 8, b x 8]: per-lane scales for a 512-bit vector that holds two 32-element blocks.
inline __m512 pair_ps(float a, float b) {
  return _mm512_insertf32x8(_mm512_set1_ps(a), _mm256_set1_ps(b), 1);
}

// Two 256-bit halves -> one 512-bit vector [lo, hi].
inline __m512i join256(__m256i lo, __m256i hi) {
  return _mm512_inserti64x4(_mm512_castsi256_si512(lo), hi, 1);
}

inline __m512bh as_bf16x32(__m512i v) {
  __m512bh r;
  std::memcpy(&r, &v, sizeof(r));
  return r;
}

// 64 bytes of two Q4_0 blocks' nibbles, [block0 elements 0..31, block1 elements 0..31] in
// [0, 15]. q1 may be zero (a missing second block).
inline __m512i unpack_nibbles_pair(__m128i q0, __m128i q1) {
  const __m256i both = _mm256_set_m128i(q1, q0);
  const __m256i m4 = _mm256_set1_epi8(0x0F);
  const __m256i lo = _mm256_and_si256(both, m4);                        // [lo0 | lo1]
  const __m256i hi = _mm256_and_si256(_mm256_srli_epi16(both, 4), m4);  // [hi0 | hi1]
  const __m512i v = join256(lo, hi);                                    // [lo0 lo1 hi0 hi1]
  return _mm512_shuffle_i64x2(v, v, _MM_SHUFFLE(3, 1, 2, 0));           // [lo0 hi0 lo1 hi1]
}

}  // namespace
}  // namespace turbine::cpu
