// Portable matmul panels for F32 / F16 / BF16 weights against f32 activations. Half weights
// are widened a chunk at a time into a stack buffer and reused for up to kCols activation rows.
#include <algorithm>

#include "backend/cpu/kernels_generic.h"
#include "base/half.h"

namespace turbine::cpu::generic {
namespace {

constexpr int64_t kChunk = 256;  // weight elements widened at a time
constexpr int64_t kCols = 8;     // activation rows per pass over a weight row

float dot(const float* a, const float* b, int64_t n) {
  // Eight partial sums: vectorizable without -ffast-math, and closer to the SIMD kernels' order.
  float s[8] = {};
  int64_t i = 0;
  for (; i + 8 <= n; i += 8)
    for (int j = 0; j < 8; ++j) s[j] += a[i + j] * b[i + j];
  for (; i < n; ++i) s[0] += a[i] * b[i];
  return ((s[0] + s[1]) + (s[2] + s[3])) + ((s[4] + s[5]) + (s[6] + s[7]));
}

template <class Widen>
void panel_half(const MatmulPanel& p, Widen widen) {
  alignas(64) float wf[kChunk];
  for (int64_t c0 = 0; c0 < p.n; c0 += kCols) {
    const int64_t cols = std::min(kCols, p.n - c0);
    for (int64_t r = 0; r < p.num_rows; ++r) {
      const auto* w = reinterpret_cast<const uint16_t*>(p.w + r * p.w_stride);
      float acc[kCols] = {};
      for (int64_t k0 = 0; k0 < p.k; k0 += kChunk) {
        const int64_t len = std::min(kChunk, p.k - k0);
        for (int64_t i = 0; i < len; ++i) wf[i] = widen(w[k0 + i]);
        for (int64_t c = 0; c < cols; ++c) acc[c] += dot(wf, p.x + (c0 + c) * p.k + k0, len);
      }
      for (int64_t c = 0; c < cols; ++c) p.y[(c0 + c) * p.ldy + r] = acc[c];
    }
  }
}

}  // namespace

void matmul_f32(const MatmulPanel& p) {
  for (int64_t r = 0; r < p.num_rows; ++r) {
    const auto* w = reinterpret_cast<const float*>(p.w + r * p.w_stride);
    for (int64_t c = 0; c < p.n; ++c) p.y[c * p.ldy + r] = dot(w, p.x + c * p.k, p.k);
  }
}

void matmul_f16(const MatmulPanel& p) { panel_half(p, f16_to_f32); }
void matmul_bf16(const MatmulPanel& p) { panel_half(p, bf16_to_f32); }

}  // namespace turbine::cpu::generic
