// AVX2 row-wise and element-wise ops: rms_norm, rope, silu_mul, add, add_bias. Tails that
// are not a multiple of 8 floats are done one element at a time.
#include <math.h>

#include "backend/cpu/kernels_avx2.h"
#include "backend/cpu/simd_avx2.h"

namespace turbine::cpu::avx2 {

void rms_norm(const float* x, const float* w, int64_t rows, int64_t dim, float eps, float* y) {
  for (int64_t r = 0; r < rows; ++r, x += dim, y += dim) {
    __m256 s0 = _mm256_setzero_ps(), s1 = _mm256_setzero_ps();
    int64_t i = 0;
    for (; i + 16 <= dim; i += 16) {
      const __m256 a = _mm256_loadu_ps(x + i), b = _mm256_loadu_ps(x + i + 8);
      s0 = _mm256_fmadd_ps(a, a, s0);
      s1 = _mm256_fmadd_ps(b, b, s1);
    }
    for (; i + 8 <= dim; i += 8) {
      const __m256 a = _mm256_loadu_ps(x + i);
      s0 = _mm256_fmadd_ps(a, a, s0);
    }
    float ss = hsum(_mm256_add_ps(s0, s1));
    for (; i < dim; ++i) ss += x[i] * x[i];
    const float scale = 1.0f / sqrtf(ss / float(dim) + eps);
    const __m256 sv = _mm256_set1_ps(scale);
    for (i = 0; i + 8 <= dim; i += 8) {
      _mm256_storeu_ps(
          y + i, _mm256_mul_ps(_mm256_mul_ps(_mm256_loadu_ps(x + i), sv), _mm256_loadu_ps(w + i)));
    }
    for (; i < dim; ++i) y[i] = x[i] * scale * w[i];
  }
}

void rope(const RopeArgs& a, int64_t token_begin, int64_t token_end) {
  const int64_t half = a.head_dim / 2;
  alignas(32) float cos_t[kMaxRopeHeadDim], sin_t[kMaxRopeHeadDim];
  for (int64_t t = token_begin; t < token_end; ++t) {
    const float pos = float(a.positions[t]);
    for (int64_t i = 0; i < half; ++i) {
      const float angle = pos * a.inv_freq[i];
      const float c = cosf(angle), s = sinf(angle);
      if (a.style == RopeStyle::kNeox) {
        cos_t[i] = c;
        sin_t[i] = s;
      } else {  // pair (2i, 2i+1): x' = x * [c, c] + swap(x) * [-s, s]
        cos_t[2 * i] = cos_t[2 * i + 1] = c;
        sin_t[2 * i] = -s;
        sin_t[2 * i + 1] = s;
      }
    }
    for (int64_t h = 0; h < a.num_heads; ++h) {
      float* v = a.x + (t * a.num_heads + h) * a.head_dim;
      if (a.style == RopeStyle::kNeox) {
        int64_t i = 0;
        for (; i + 8 <= half; i += 8) {
          const __m256 lo = _mm256_loadu_ps(v + i), hi = _mm256_loadu_ps(v + half + i);
          const __m256 c = _mm256_load_ps(cos_t + i), s = _mm256_load_ps(sin_t + i);
          _mm256_storeu_ps(v + i, _mm256_fmsub_ps(lo, c, _mm256_mul_ps(hi, s)));
          _mm256_storeu_ps(v + half + i, _mm256_fmadd_ps(lo, s, _mm256_mul_ps(hi, c)));
        }
        for (; i < half; ++i) {
          const float lo = v[i], hi = v[half + i];
          v[i] = lo * cos_t[i] - hi * sin_t[i];
          v[half + i] = lo * sin_t[i] + hi * cos_t[i];
        }
      } else {
        int64_t i = 0;
        for (; i + 8 <= a.head_dim; i += 8) {
          const __m256 xv = _mm256_loadu_ps(v + i);
          const __m256 swapped = _mm256_permute_ps(xv, 0xB1);
          _mm256_storeu_ps(v + i,
                           _mm256_fmadd_ps(xv, _mm256_load_ps(cos_t + i),
                                           _mm256_mul_ps(swapped, _mm256_load_ps(sin_t + i))));
        }
        for (; i < a.head_dim; i += 2) {
          const float x0 = v[i], x1 = v[i + 1];
          v[i] = x0 * cos_t[i] + x1 * sin_t[i];
          v[i + 1] = x1 * cos_t[i + 1] + x0 * sin_t[i + 1];
        }
      }
    }
  }
}

void silu_mul(const float* gate, const float* up, int64_t n, float* out) {
  const __m256 one = _mm256_set1_ps(1.0f);
  const __m256 sign = _mm256_set1_ps(-0.0f);
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const __m256 g = _mm256_loadu_ps(gate + i);
    const __m256 e = exp_ps(_mm256_xor_ps(g, sign));
    _mm256_storeu_ps(
        out + i, _mm256_mul_ps(_mm256_div_ps(g, _mm256_add_ps(one, e)), _mm256_loadu_ps(up + i)));
  }
  for (; i < n; ++i) out[i] = gate[i] / (1.0f + expf(-gate[i])) * up[i];
}

void add(float* y, const float* x, int64_t n) {
  int64_t i = 0;
  for (; i + 8 <= n; i += 8)
    _mm256_storeu_ps(y + i, _mm256_add_ps(_mm256_loadu_ps(y + i), _mm256_loadu_ps(x + i)));
  for (; i < n; ++i) y[i] += x[i];
}

void add_bias(float* x, const float* bias, int64_t rows, int64_t dim) {
  for (int64_t r = 0; r < rows; ++r, x += dim) add(x, bias, dim);
}

}  // namespace turbine::cpu::avx2
