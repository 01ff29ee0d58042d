// Portable activation quantization (q8_0 / q8_k), weight dequantization (get_rows, attention's
// cache reads) and f32 -> cache element conversion (store_kv).
#include <cfloat>
#include <cmath>
#include <cstring>

#include "backend/cpu/kernels_generic.h"
#include "backend/cpu/kquant_scales.h"
#include "base/check.h"
#include "base/half.h"

namespace turbine::cpu::generic {
namespace {

// Quantizes `len` floats with one symmetric scale; returns the scale. Round to nearest even
// of x / d, as _mm256_cvtps_epi32 does, so every ISA produces the same quants.
float quantize_block(const float* x, int len, int8_t* q) {
  float amax = 0.0f;
  for (int j = 0; j < len; ++j) amax = std::fmax(amax, std::fabs(x[j]));
  const float d = amax / 127.0f;
  const float id = d >= FLT_MIN ? 1.0f / d : 0.0f;  // as quantize_avx2.cpp's scale_for
  for (int j = 0; j < len; ++j) q[j] = int8_t(std::nearbyint(x[j] * id));
  return d;
}

void dequantize_q4_0(const BlockQ4_0* b, int64_t nb, float* y) {
  for (int64_t i = 0; i < nb; ++i, y += kQK) {
    const float d = f16_to_f32(b[i].d);
    for (int j = 0; j < kQK / 2; ++j) {
      y[j] = float((b[i].qs[j] & 0xF) - 8) * d;
      y[j + kQK / 2] = float((b[i].qs[j] >> 4) - 8) * d;
    }
  }
}

void dequantize_q8_0(const BlockQ8_0* b, int64_t nb, float* y) {
  for (int64_t i = 0; i < nb; ++i, y += kQK) {
    const float d = f16_to_f32(b[i].d);
    for (int j = 0; j < kQK; ++j) y[j] = float(b[i].qs[j]) * d;
  }
}

void dequantize_q4_k(const BlockQ4_K* b, int64_t nb, float* y) {
  for (int64_t i = 0; i < nb; ++i) {
    const float d = f16_to_f32(b[i].d);
    const float dmin = f16_to_f32(b[i].dmin);
    const uint8_t* q = b[i].qs;
    for (int j = 0; j < 8; j += 2, q += 32) {  // 64 elements: low nibbles, then high nibbles
      int sc0, m0, sc1, m1;
      q4_k_scale_min(j, b[i].scales, &sc0, &m0);
      q4_k_scale_min(j + 1, b[i].scales, &sc1, &m1);
      for (int l = 0; l < 32; ++l) *y++ = d * float(sc0) * float(q[l] & 0xF) - dmin * float(m0);
      for (int l = 0; l < 32; ++l) *y++ = d * float(sc1) * float(q[l] >> 4) - dmin * float(m1);
    }
  }
}

void dequantize_q6_k(const BlockQ6_K* b, int64_t nb, float* y) {
  for (int64_t i = 0; i < nb; ++i) {
    const float d = f16_to_f32(b[i].d);
    const uint8_t* ql = b[i].ql;
    const uint8_t* qh = b[i].qh;
    const int8_t* sc = b[i].scales;
    for (int n = 0; n < kQK_K; n += 128, y += 128, ql += 64, qh += 32, sc += 8) {
      for (int l = 0; l < 32; ++l) {
        const int is = l / 16;
        const int q1 = ((ql[l] & 0xF) | (((qh[l] >> 0) & 3) << 4)) - 32;
        const int q2 = ((ql[l + 32] & 0xF) | (((qh[l] >> 2) & 3) << 4)) - 32;
        const int q3 = ((ql[l] >> 4) | (((qh[l] >> 4) & 3) << 4)) - 32;
        const int q4 = ((ql[l + 32] >> 4) | (((qh[l] >> 6) & 3) << 4)) - 32;
        y[l] = d * float(sc[is]) * float(q1);
        y[l + 32] = d * float(sc[is + 2]) * float(q2);
        y[l + 64] = d * float(sc[is + 4]) * float(q3);
        y[l + 96] = d * float(sc[is + 6]) * float(q4);
      }
    }
  }
}

}  // namespace

void quantize_row_q8_0(const float* x, int64_t k, int8_t* qs, float* d) {
  for (int64_t b = 0; b < k / kQK; ++b) d[b] = quantize_block(x + b * kQK, kQK, qs + b * kQK);
}

void quantize_row_q8_k(const float* x, int64_t k, int8_t* qs, float* d, int16_t* bsums) {
  for (int64_t b = 0; b < k / kQK_K; ++b) {
    d[b] = quantize_block(x + b * kQK_K, kQK_K, qs + b * kQK_K);
    for (int g = 0; g < kQK_K / 16; ++g) {
      int sum = 0;
      for (int j = 0; j < 16; ++j) sum += qs[b * kQK_K + g * 16 + j];
      bsums[b * (kQK_K / 16) + g] = int16_t(sum);
    }
  }
}

void dequantize_row(DType t, const void* src, int64_t k, float* y) {
  switch (t) {
    case DType::kF32:
      std::memcpy(y, src, size_t(k) * 4);
      return;
    case DType::kF16: {
      const auto* h = static_cast<const uint16_t*>(src);
      for (int64_t i = 0; i < k; ++i) y[i] = f16_to_f32(h[i]);
      return;
    }
    case DType::kBF16: {
      const auto* h = static_cast<const uint16_t*>(src);
      for (int64_t i = 0; i < k; ++i) y[i] = bf16_to_f32(h[i]);
      return;
    }
    case DType::kQ4_0:
      return dequantize_q4_0(static_cast<const BlockQ4_0*>(src), k / kQK, y);
    case DType::kQ8_0:
      return dequantize_q8_0(static_cast<const BlockQ8_0*>(src), k / kQK, y);
    case DType::kQ4_K:
      return dequantize_q4_k(static_cast<const BlockQ4_K*>(src), k / kQK_K, y);
    case DType::kQ6_K:
      return dequantize_q6_k(static_cast<const BlockQ6_K*>(src), k / kQK_K, y);
  }
  TB_CHECK(false, "dequantize_row: unhandled type");
}

void convert_row(DType t, const float* x, int64_t n, void* dst) {
  switch (t) {
    case DType::kF32:
      std::memcpy(dst, x, size_t(n) * 4);
      return;
    case DType::kF16: {
      auto* h = static_cast<uint16_t*>(dst);
      for (int64_t i = 0; i < n; ++i) h[i] = f32_to_f16(x[i]);
      return;
    }
    case DType::kBF16: {
      auto* h = static_cast<uint16_t*>(dst);
      for (int64_t i = 0; i < n; ++i) h[i] = f32_to_bf16(x[i]);
      return;
    }
    case DType::kQ8_0: {
      auto* b = static_cast<BlockQ8_0*>(dst);
      for (int64_t i = 0; i < n / kQK; ++i)
        b[i].d = f32_to_f16(quantize_block(x + i * kQK, kQK, b[i].qs));
      return;
    }
    default:
      break;
  }
  TB_CHECK(false, "convert_row: KV cache elements are f32, f16, bf16 or q8_0");
}

}  // namespace turbine::cpu::generic
