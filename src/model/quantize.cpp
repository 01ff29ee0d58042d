#include "model/quantize.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <string>

#include "base/check.h"
#include "base/half.h"

// The quantizers follow ggml-quants.c (quantize_row_*_ref, make_qx_quants, make_qkx2_quants)
// operation for operation, including float evaluation order, so our files carry the same bytes
// llama.cpp's reference path would produce. Blocks are assembled in a local struct and copied out
// with memcpy: `out`/`in` need no alignment.

namespace turbine {
namespace {

constexpr float kGroupMaxEps = 1e-15f;  // GGML's GROUP_MAX_EPS: below this a group is all zero

// Round to nearest via the 1.5 * 2^23 trick, as GGML's nearest_int (valid for |f| <= 4194303).
inline int nearest_int(float f) {
  const float v = f + 12582912.f;
  int i;
  std::memcpy(&i, &v, sizeof(i));
  return (i & 0x007fffff) - 0x00400000;
}

// ---- q8_0 / q4_0: one f16 scale per 32 elements -------------------------------------------------

void quantize_q8_0(const float* x, BlockQ8_0* y) {
  float amax = 0.0f;
  for (int j = 0; j < kQK; ++j) amax = std::max(amax, std::fabs(x[j]));
  const float d = amax / ((1 << 7) - 1);
  const float id = d ? 1.0f / d : 0.0f;
  y->d = f32_to_f16(d);
  for (int j = 0; j < kQK; ++j) y->qs[j] = int8_t(std::roundf(x[j] * id));
}

void dequantize_q8_0(const BlockQ8_0& b, float* y) {
  const float d = f16_to_f32(b.d);
  for (int j = 0; j < kQK; ++j) y[j] = b.qs[j] * d;
}

void quantize_q4_0(const float* x, BlockQ4_0* y) {
  float amax = 0.0f, max = 0.0f;  // max: the signed value of largest magnitude
  for (int j = 0; j < kQK; ++j) {
    if (amax < std::fabs(x[j])) {
      amax = std::fabs(x[j]);
      max = x[j];
    }
  }
  const float d = max / -8;  // so the extreme value maps to q = 0 (i.e. -8 after the offset)
  const float id = d ? 1.0f / d : 0.0f;
  y->d = f32_to_f16(d);
  for (int j = 0; j < kQK / 2; ++j) {
    const float x0 = x[j] * id;
    const float x1 = x[kQK / 2 + j] * id;
    const uint8_t q0 = uint8_t(std::min(15, int(int8_t(x0 + 8.5f))));
    const uint8_t q1 = uint8_t(std::min(15, int(int8_t(x1 + 8.5f))));
    y->qs[j] = uint8_t(q0 | (q1 << 4));
  }
}

void dequantize_q4_0(const BlockQ4_0& b, float* y) {
  const float d = f16_to_f32(b.d);
  for (int j = 0; j < kQK / 2; ++j) {
    y[j] = ((b.qs[j] & 0x0F) - 8) * d;
    y[j + kQK / 2] = ((b.qs[j] >> 4) - 8) * d;
  }
}

// ---- K-quant helpers ---------------------------------------------------------------------------

// Signed levels in [-nmax, nmax) for n values with weights x^2 (rmse_type 1, no importance),
// searching 19 candidate scales; returns the scale, L[i] = level + nmax.
float make_qx_quants(int n, int nmax, const float* x, int8_t* L) {
  float max = 0, amax = 0;
  for (int i = 0; i < n; ++i) {
    const float ax = std::fabs(x[i]);
    if (ax > amax) {
      amax = ax;
      max = x[i];
    }
  }
  if (amax < kGroupMaxEps) {
    for (int i = 0; i < n; ++i) L[i] = 0;
    return 0.f;
  }
  float iscale = -nmax / max;
  float sumlx = 0, suml2 = 0;
  for (int i = 0; i < n; ++i) {
    int l = nearest_int(iscale * x[i]);
    l = std::max(-nmax, std::min(nmax - 1, l));
    L[i] = int8_t(l + nmax);
    const float w = x[i] * x[i];
    sumlx += w * x[i] * l;
    suml2 += w * l * l;
  }
  float scale = suml2 ? sumlx / suml2 : 0.0f;
  float best = scale * sumlx;
  for (int is = -9; is <= 9; ++is) {
    if (is == 0) continue;
    iscale = -(nmax + 0.1f * is) / max;
    sumlx = suml2 = 0;
    for (int i = 0; i < n; ++i) {
      int l = nearest_int(iscale * x[i]);
      l = std::max(-nmax, std::min(nmax - 1, l));
      const float w = x[i] * x[i];
      sumlx += w * x[i] * l;
      suml2 += w * l * l;
    }
    if (suml2 > 0 && sumlx * sumlx > best * suml2) {
      for (int i = 0; i < n; ++i) {
        const int l = nearest_int(iscale * x[i]);
        L[i] = int8_t(nmax + std::max(-nmax, std::min(nmax - 1, l)));
      }
      scale = sumlx / suml2;
      best = scale * sumlx;
    }
  }
  return scale;
}

// Unsigned levels in [0, nmax] with an offset: x ~= scale * L - the_min. Weighted least squares
// over nstep+1 candidate scales (rmin + rdelta * is + nmax) / (max - min). Returns the scale.
float make_qkx2_quants(int n, int nmax, const float* x, const float* weights, uint8_t* L,
                       float* the_min, uint8_t* Laux, float rmin, float rdelta, int nstep) {
  float min = x[0], max = x[0];
  float sum_w = weights[0];
  float sum_x = sum_w * x[0];
  for (int i = 1; i < n; ++i) {
    if (x[i] < min) min = x[i];
    if (x[i] > max) max = x[i];
    const float w = weights[i];
    sum_w += w;
    sum_x += w * x[i];
  }
  if (min > 0) min = 0;
  if (max == min) {
    for (int i = 0; i < n; ++i) L[i] = 0;
    *the_min = -min;
    return 0.f;
  }
  float iscale = nmax / (max - min);
  float scale = 1 / iscale;
  float best_error = 0;
  for (int i = 0; i < n; ++i) {
    const int l = nearest_int(iscale * (x[i] - min));
    L[i] = uint8_t(std::max(0, std::min(nmax, l)));
    const float diff = scale * L[i] + min - x[i];
    best_error += weights[i] * (diff * diff);
  }
  for (int is = 0; is <= nstep; ++is) {
    iscale = (rmin + rdelta * is + nmax) / (max - min);
    float sum_l = 0, sum_l2 = 0, sum_xl = 0;
    for (int i = 0; i < n; ++i) {
      int l = nearest_int(iscale * (x[i] - min));
      l = std::max(0, std::min(nmax, l));
      Laux[i] = uint8_t(l);
      const float w = weights[i];
      sum_l += w * l;
      sum_l2 += w * l * l;
      sum_xl += w * l * x[i];
    }
    const float D = sum_w * sum_l2 - sum_l * sum_l;
    if (D > 0) {
      float this_scale = (sum_w * sum_xl - sum_x * sum_l) / D;
      float this_min = (sum_l2 * sum_x - sum_l * sum_xl) / D;
      if (this_min > 0) {
        this_min = 0;
        this_scale = sum_xl / sum_l2;
      }
      float cur_error = 0;
      for (int i = 0; i < n; ++i) {
        const float diff = this_scale * Laux[i] + this_min - x[i];
        cur_error += weights[i] * (diff * diff);
      }
      if (cur_error < best_error) {
        for (int i = 0; i < n; ++i) L[i] = Laux[i];
        best_error = cur_error;
        scale = this_scale;
        min = this_min;
      }
    }
  }
  *the_min = -min;
  return scale;
}

// Q4_K's 12 scale bytes hold 8 (scale, min) pairs of 6 bits:
//   j < 4: scale = q[j] & 63,                           min = q[j+4] & 63
//   j >= 4: scale = (q[j+4] & 0xF) | (q[j-4] >> 6) << 4,  min = (q[j+4] >> 4) | (q[j] >> 6) << 4
inline void get_scale_min_k4(int j, const uint8_t* q, uint8_t* d, uint8_t* m) {
  if (j < 4) {
    *d = q[j] & 63;
    *m = q[j + 4] & 63;
  } else {
    *d = uint8_t((q[j + 4] & 0xF) | ((q[j - 4] >> 6) << 4));
    *m = uint8_t((q[j + 4] >> 4) | ((q[j - 0] >> 6) << 4));
  }
}

// ---- q4_K: 256 elements = 8 sub-blocks of 32, x = d*sc*q - dmin*m, q in [0, 15] -------------------

void quantize_q4_K(const float* x, BlockQ4_K* y) {
  uint8_t L[kQK_K];
  uint8_t Laux[32];
  float weights[32];
  float mins[kQK_K / 32];
  float scales[kQK_K / 32];
  float max_scale = 0, max_min = 0;  // scales are positive since the min is subtracted
  for (int j = 0; j < kQK_K / 32; ++j) {
    float sum_x2 = 0;
    for (int l = 0; l < 32; ++l) sum_x2 += x[32 * j + l] * x[32 * j + l];
    const float av_x = std::sqrt(sum_x2 / 32);
    for (int l = 0; l < 32; ++l) weights[l] = av_x + std::fabs(x[32 * j + l]);
    scales[j] = make_qkx2_quants(32, 15, x + 32 * j, weights, L + 32 * j, &mins[j], Laux, -1.f, 0.1f, 20);
    max_scale = std::max(max_scale, scales[j]);
    max_min = std::max(max_min, mins[j]);
  }
  const float inv_scale = max_scale > 0 ? 63.f / max_scale : 0.f;
  const float inv_min = max_min > 0 ? 63.f / max_min : 0.f;
  for (int j = 0; j < kQK_K / 32; ++j) {
    uint8_t ls = uint8_t(nearest_int(inv_scale * scales[j]));
    uint8_t lm = uint8_t(nearest_int(inv_min * mins[j]));
    ls = std::min<uint8_t>(63, ls);
    lm = std::min<uint8_t>(63, lm);
    if (j < 4) {
      y->scales[j] = ls;
      y->scales[j + 4] = lm;
    } else {
      y->scales[j + 4] = uint8_t((ls & 0xF) | ((lm & 0xF) << 4));
      y->scales[j - 4] |= uint8_t((ls >> 4) << 6);
      y->scales[j - 0] |= uint8_t((lm >> 4) << 6);
    }
  }
  y->d = f32_to_f16(max_scale / 63.f);
  y->dmin = f32_to_f16(max_min / 63.f);
  // Requantize against the rounded (6-bit, f16) scales actually stored.
  for (int j = 0; j < kQK_K / 32; ++j) {
    uint8_t sc, m;
    get_scale_min_k4(j, y->scales, &sc, &m);
    const float d = f16_to_f32(y->d) * sc;
    if (!d) continue;
    const float dm = f16_to_f32(y->dmin) * m;
    for (int ii = 0; ii < 32; ++ii) {
      const int l = nearest_int((x[32 * j + ii] + dm) / d);
      L[32 * j + ii] = uint8_t(std::max(0, std::min(15, l)));
    }
  }
  // qs[32*c + l]: low nibble = element 64*c + l, high nibble = element 64*c + 32 + l.
  uint8_t* q = y->qs;
  for (int j = 0; j < kQK_K; j += 64) {
    for (int l = 0; l < 32; ++l) q[l] = uint8_t(L[j + l] | (L[j + l + 32] << 4));
    q += 32;
  }
}

void dequantize_q4_K(const BlockQ4_K& b, float* y) {
  const uint8_t* q = b.qs;
  const float d = f16_to_f32(b.d);
  const float min = f16_to_f32(b.dmin);
  int is = 0;
  for (int j = 0; j < kQK_K; j += 64) {
    uint8_t sc, m;
    get_scale_min_k4(is + 0, b.scales, &sc, &m);
    const float d1 = d * sc, m1 = min * m;
    get_scale_min_k4(is + 1, b.scales, &sc, &m);
    const float d2 = d * sc, m2 = min * m;
    for (int l = 0; l < 32; ++l) *y++ = d1 * (q[l] & 0xF) - m1;
    for (int l = 0; l < 32; ++l) *y++ = d2 * (q[l] >> 4) - m2;
    q += 32;
    is += 2;
  }
}

// ---- q6_K: 256 elements = 16 sub-blocks of 16, x = d * scale[s] * (q - 32), q in [0, 63] ----------

void quantize_q6_K(const float* x, BlockQ6_K* y) {
  int8_t L[kQK_K];
  float scales[kQK_K / 16];
  float max_scale = 0, max_abs_scale = 0;
  for (int ib = 0; ib < kQK_K / 16; ++ib) {
    const float scale = make_qx_quants(16, 32, x + 16 * ib, L + 16 * ib);
    scales[ib] = scale;
    if (std::fabs(scale) > max_abs_scale) {
      max_abs_scale = std::fabs(scale);
      max_scale = scale;
    }
  }
  if (max_abs_scale < kGroupMaxEps) {
    std::memset(y, 0, sizeof(*y));
    return;
  }
  const float iscale = -128.f / max_scale;
  y->d = f32_to_f16(1 / iscale);
  for (int ib = 0; ib < kQK_K / 16; ++ib) {
    y->scales[ib] = int8_t(std::min(127, nearest_int(iscale * scales[ib])));
  }
  for (int j = 0; j < kQK_K / 16; ++j) {
    const float d = f16_to_f32(y->d) * y->scales[j];
    if (!d) continue;
    for (int ii = 0; ii < 16; ++ii) {
      int l = nearest_int(x[16 * j + ii] / d);
      l = std::max(-32, std::min(31, l));
      L[16 * j + ii] = int8_t(l + 32);
    }
  }
  // Per 128 elements: ql[l] = low4(e[l]) | low4(e[l+64]) << 4, ql[l+32] = low4(e[l+32]) | low4(e[l+96]) << 4,
  // qh[l] = the high 2 bits of e[l], e[l+32], e[l+64], e[l+96] at bit 0, 2, 4, 6.
  uint8_t* ql = y->ql;
  uint8_t* qh = y->qh;
  for (int j = 0; j < kQK_K; j += 128) {
    for (int l = 0; l < 32; ++l) {
      const uint8_t q1 = L[j + l + 0] & 0xF;
      const uint8_t q2 = L[j + l + 32] & 0xF;
      const uint8_t q3 = L[j + l + 64] & 0xF;
      const uint8_t q4 = L[j + l + 96] & 0xF;
      ql[l + 0] = uint8_t(q1 | (q3 << 4));
      ql[l + 32] = uint8_t(q2 | (q4 << 4));
      qh[l] = uint8_t((L[j + l] >> 4) | ((L[j + l + 32] >> 4) << 2) | ((L[j + l + 64] >> 4) << 4) |
                      ((L[j + l + 96] >> 4) << 6));
    }
    ql += 64;
    qh += 32;
  }
}

void dequantize_q6_K(const BlockQ6_K& b, float* y) {
  const float d = f16_to_f32(b.d);
  const uint8_t* ql = b.ql;
  const uint8_t* qh = b.qh;
  const int8_t* sc = b.scales;
  for (int n = 0; n < kQK_K; n += 128) {
    for (int l = 0; l < 32; ++l) {
      const int is = l / 16;
      const int8_t q1 = int8_t((ql[l + 0] & 0xF) | (((qh[l] >> 0) & 3) << 4)) - 32;
      const int8_t q2 = int8_t((ql[l + 32] & 0xF) | (((qh[l] >> 2) & 3) << 4)) - 32;
      const int8_t q3 = int8_t((ql[l + 0] >> 4) | (((qh[l] >> 4) & 3) << 4)) - 32;
      const int8_t q4 = int8_t((ql[l + 32] >> 4) | (((qh[l] >> 6) & 3) << 4)) - 32;
      y[l + 0] = d * sc[is + 0] * q1;
      y[l + 32] = d * sc[is + 2] * q2;
      y[l + 64] = d * sc[is + 4] * q3;
      y[l + 96] = d * sc[is + 6] * q4;
    }
    y += 128;
    ql += 64;
    qh += 32;
    sc += 8;
  }
}

// Applies a block encoder over n / QK elements, assembling each block locally.
template <typename Block, int QK, typename Fn>
void encode_blocks(const float* x, int64_t n, void* out, Fn fn) {
  auto* dst = static_cast<uint8_t*>(out);
  for (int64_t i = 0; i < n / QK; ++i) {
    Block b{};
    fn(x + i * QK, &b);
    std::memcpy(dst + i * sizeof(Block), &b, sizeof(Block));
  }
}

template <typename Block, int QK, typename Fn>
void decode_blocks(const void* in, int64_t n, float* out, Fn fn) {
  const auto* src = static_cast<const uint8_t*>(in);
  for (int64_t i = 0; i < n / QK; ++i) {
    Block b;
    std::memcpy(&b, src + i * sizeof(Block), sizeof(Block));
    fn(b, out + i * QK);
  }
}

void check_block_multiple(DType t, int64_t n) {
  const int64_t block = dtype_traits(t).block_elems;
  TB_CHECK(n >= 0 && n % block == 0, "row of " + std::to_string(n) + " elements is not a multiple of the " +
                                          std::string(dtype_name(t)) + " block size " + std::to_string(block));
}

}  // namespace

void quantize_row(DType t, const float* x, int64_t n, void* out) {
  check_block_multiple(t, n);
  auto* dst = static_cast<uint8_t*>(out);
  switch (t) {
    case DType::kF32:
      std::memcpy(out, x, size_t(n) * sizeof(float));
      return;
    case DType::kF16:
      for (int64_t i = 0; i < n; ++i) {
        const uint16_t h = f32_to_f16(x[i]);
        std::memcpy(dst + 2 * i, &h, 2);
      }
      return;
    case DType::kBF16:
      for (int64_t i = 0; i < n; ++i) {
        const uint16_t h = f32_to_bf16(x[i]);
        std::memcpy(dst + 2 * i, &h, 2);
      }
      return;
    case DType::kQ8_0: return encode_blocks<BlockQ8_0, kQK>(x, n, out, quantize_q8_0);
    case DType::kQ4_0: return encode_blocks<BlockQ4_0, kQK>(x, n, out, quantize_q4_0);
    case DType::kQ4_K: return encode_blocks<BlockQ4_K, kQK_K>(x, n, out, quantize_q4_K);
    case DType::kQ6_K: return encode_blocks<BlockQ6_K, kQK_K>(x, n, out, quantize_q6_K);
  }
  TB_CHECK(false, "quantize_row: unknown DType " + std::to_string(uint32_t(t)));
}

void dequantize_row(DType t, const void* in, int64_t n, float* out) {
  check_block_multiple(t, n);
  const auto* src = static_cast<const uint8_t*>(in);
  switch (t) {
    case DType::kF32:
      std::memcpy(out, in, size_t(n) * sizeof(float));
      return;
    case DType::kF16:
      for (int64_t i = 0; i < n; ++i) {
        uint16_t h;
        std::memcpy(&h, src + 2 * i, 2);
        out[i] = f16_to_f32(h);
      }
      return;
    case DType::kBF16:
      for (int64_t i = 0; i < n; ++i) {
        uint16_t h;
        std::memcpy(&h, src + 2 * i, 2);
        out[i] = bf16_to_f32(h);
      }
      return;
    case DType::kQ8_0: return decode_blocks<BlockQ8_0, kQK>(in, n, out, dequantize_q8_0);
    case DType::kQ4_0: return decode_blocks<BlockQ4_0, kQK>(in, n, out, dequantize_q4_0);
    case DType::kQ4_K: return decode_blocks<BlockQ4_K, kQK_K>(in, n, out, dequantize_q4_K);
    case DType::kQ6_K: return decode_blocks<BlockQ6_K, kQK_K>(in, n, out, dequantize_q6_K);
  }
  TB_CHECK(false, "dequantize_row: unknown DType " + std::to_string(uint32_t(t)));
}

Result<std::vector<uint8_t>> quantize_tensor(DType t, const float* x, int64_t rows, int64_t cols) {
  const auto& tr = dtype_traits(t);
  const std::string shape = "[" + std::to_string(rows) + ", " + std::to_string(cols) + "]";
  if (rows < 0 || cols < 0) return invalid_argument("cannot quantize a tensor of shape " + shape);
  if (cols % tr.block_elems != 0) {
    return invalid_argument("cannot quantize a tensor of shape " + shape + " to " + std::string(tr.name) +
                            ": its row length " + std::to_string(cols) + " is not a multiple of the " +
                            std::string(tr.name) + " block size " + std::to_string(tr.block_elems));
  }
  const int64_t bytes_per_row = row_bytes(t, cols);
  int64_t total = 0;
  if (__builtin_mul_overflow(bytes_per_row, rows, &total) || total > (int64_t(1) << 46)) {
    return invalid_argument("cannot quantize a tensor of shape " + shape + ": too large");
  }
  std::vector<uint8_t> out(static_cast<size_t>(total));
  for (int64_t r = 0; r < rows; ++r) quantize_row(t, x + r * cols, cols, out.data() + r * bytes_per_row);
  return out;
}

}  // namespace turbine
