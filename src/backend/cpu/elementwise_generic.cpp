// Portable row-wise and element-wise ops: rms_norm, rope, silu_mul, add, add_bias.
#include <cmath>

#include "backend/cpu/kernels_generic.h"

namespace turbine::cpu::generic {

void rms_norm(const float* x, const float* w, int64_t rows, int64_t dim, float eps, float* y) {
  for (int64_t r = 0; r < rows; ++r, x += dim, y += dim) {
    double ss = 0.0;
    for (int64_t i = 0; i < dim; ++i) ss += double(x[i]) * double(x[i]);
    const float scale = float(1.0 / std::sqrt(ss / double(dim) + double(eps)));
    for (int64_t i = 0; i < dim; ++i) y[i] = x[i] * scale * w[i];
  }
}

void rope(const RopeArgs& a, int64_t token_begin, int64_t token_end) {
  const int64_t half = a.head_dim / 2;
  float cos_t[kMaxRopeHeadDim / 2], sin_t[kMaxRopeHeadDim / 2];
  for (int64_t t = token_begin; t < token_end; ++t) {
    const float pos = float(a.positions[t]);
    for (int64_t i = 0; i < half; ++i) {
      const float angle = pos * a.inv_freq[i];
      cos_t[i] = std::cos(angle);
      sin_t[i] = std::sin(angle);
    }
    for (int64_t h = 0; h < a.num_heads; ++h) {
      float* v = a.x + (t * a.num_heads + h) * a.head_dim;
      for (int64_t i = 0; i < half; ++i) {
        float* p0 = a.style == RopeStyle::kNeox ? v + i : v + 2 * i;
        float* p1 = a.style == RopeStyle::kNeox ? v + i + half : v + 2 * i + 1;
        const float x0 = *p0, x1 = *p1;
        *p0 = x0 * cos_t[i] - x1 * sin_t[i];
        *p1 = x0 * sin_t[i] + x1 * cos_t[i];
      }
    }
  }
}

void silu_mul(const float* gate, const float* up, int64_t n, float* out) {
  for (int64_t i = 0; i < n; ++i) out[i] = gate[i] / (1.0f + std::exp(-gate[i])) * up[i];
}

void add(float* y, const float* x, int64_t n) {
  for (int64_t i = 0; i < n; ++i) y[i] += x[i];
}

void add_bias(float* x, const float* bias, int64_t rows, int64_t dim) {
  for (int64_t r = 0; r < rows; ++r, x += dim)
    for (int64_t i = 0; i < dim; ++i) x[i] += bias[i];
}

}  // namespace turbine::cpu::generic
