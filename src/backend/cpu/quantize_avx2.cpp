// AVX2 activation quantization (q8_0 / q8_k) and f32 -> f16 / bf16 / q8_0 row conversion
// (store_kv).
// Produces exactly the generic kernels' quants: the same float ops, round to nearest even.
#include <cfloat>
#include <cstring>

#include "backend/cpu/kernels_avx2.h"
#include "backend/cpu/simd_avx2.h"

namespace turbine::cpu::avx2 {
namespace {

inline float abs_max(const float* x, int len) {
  const __m256 sign = _mm256_set1_ps(-0.0f);
  __m256 m = _mm256_setzero_ps();
  for (int i = 0; i < len; i += 8)
    m = _mm256_max_ps(m, _mm256_andnot_ps(sign, _mm256_loadu_ps(x + i)));
  return hmax(m);
}

// 32 floats * id -> 32 int8 (round to nearest even), in order.
inline __m256i quantize32(const float* x, __m256 id) {
  const __m256i i0 = _mm256_cvtps_epi32(_mm256_mul_ps(_mm256_loadu_ps(x), id));
  const __m256i i1 = _mm256_cvtps_epi32(_mm256_mul_ps(_mm256_loadu_ps(x + 8), id));
  const __m256i i2 = _mm256_cvtps_epi32(_mm256_mul_ps(_mm256_loadu_ps(x + 16), id));
  const __m256i i3 = _mm256_cvtps_epi32(_mm256_mul_ps(_mm256_loadu_ps(x + 24), id));
  const __m256i s01 = _mm256_packs_epi32(i0, i1);  // lanes interleave by 128-bit halves
  const __m256i s23 = _mm256_packs_epi32(i2, i3);
  const __m256i b = _mm256_packs_epi16(s01, s23);
  return _mm256_permutevar8x32_epi32(b, _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7));
}

inline float scale_for(float amax, float* id) {
  const float d = amax / 127.0f;
  // A subnormal d (0 < amax < ~1.5e-36) would make 1 / d infinite and the quants -128 or NaN;
  // such a block quantizes to zeros.
  *id = d >= FLT_MIN ? 1.0f / d : 0.0f;
  return d;
}

}  // namespace

void quantize_row_q8_0(const float* x, int64_t k, int8_t* qs, float* d) {
  for (int64_t b = 0; b < k / 32; ++b, x += 32, qs += 32) {
    float id;
    d[b] = scale_for(abs_max(x, 32), &id);
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(qs), quantize32(x, _mm256_set1_ps(id)));
  }
}

void quantize_row_q8_k(const float* x, int64_t k, int8_t* qs, float* d, int16_t* bsums) {
  const __m256i ones8 = _mm256_set1_epi8(1);
  const __m256i ones16 = _mm256_set1_epi16(1);
  for (int64_t b = 0; b < k / 256; ++b, x += 256, qs += 256, bsums += 16) {
    float id;
    d[b] = scale_for(abs_max(x, 256), &id);
    const __m256 idv = _mm256_set1_ps(id);
    for (int g = 0; g < 8; ++g) {
      const __m256i q = quantize32(x + 32 * g, idv);
      _mm256_storeu_si256(reinterpret_cast<__m256i*>(qs + 32 * g), q);
      // Sums of elements 0-15 and 16-31: 8 sums of 4, then two horizontal adds per half.
      __m256i s = _mm256_madd_epi16(_mm256_maddubs_epi16(ones8, q), ones16);
      s = _mm256_hadd_epi32(s, s);
      s = _mm256_hadd_epi32(s, s);
      bsums[2 * g] = int16_t(_mm256_extract_epi32(s, 0));
      bsums[2 * g + 1] = int16_t(_mm256_extract_epi32(s, 4));
    }
  }
}

void convert_row(DType t, const float* x, int64_t n, void* dst) {
  if (t == DType::kF32) {
    std::memcpy(dst, x, size_t(n) * 4);
    return;
  }
  if (t == DType::kQ8_0) {  // the quants of quantize_row_q8_0, with the scale as f16
    auto* b = static_cast<BlockQ8_0*>(dst);
    for (int64_t i = 0; i < n / 32; ++i, x += 32) {
      float id;
      b[i].d = _cvtss_sh(scale_for(abs_max(x, 32), &id), _MM_FROUND_TO_NEAREST_INT);
      _mm256_storeu_si256(reinterpret_cast<__m256i*>(b[i].qs), quantize32(x, _mm256_set1_ps(id)));
    }
    return;
  }
  auto* h = static_cast<uint16_t*>(dst);
  int64_t i = 0;
  if (t == DType::kF16) {
    for (; i + 8 <= n; i += 8) {
      _mm_storeu_si128(reinterpret_cast<__m128i*>(h + i),
                       _mm256_cvtps_ph(_mm256_loadu_ps(x + i), _MM_FROUND_TO_NEAREST_INT));
    }
    for (; i < n; ++i) h[i] = _cvtss_sh(x[i], _MM_FROUND_TO_NEAREST_INT);
  } else {
    for (; i + 8 <= n; i += 8) {
      _mm_storeu_si128(reinterpret_cast<__m128i*>(h + i), f32_to_bf16x8(_mm256_loadu_ps(x + i)));
    }
    for (; i < n; ++i) h[i] = f32_to_bf16_scalar(x[i]);
  }
}

}  // namespace turbine::cpu::avx2
