// Shared helpers for the backend tests: backends per ISA (skipping ISAs this CPU lacks),
// seeded random data, and weights in every dtype built with model/quantize.h.
#pragma once

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <memory>
#include <ostream>
#include <random>
#include <string>
#include <vector>

#include "backend/backend.h"
#include "base/dtype.h"
#include "model/quantize.h"

namespace turbine {
// Readable test parameters ("q4_K" instead of "4-byte object <0C-00 00-00>").
inline void PrintTo(DType t, std::ostream* os) { *os << dtype_name(t); }
}  // namespace turbine

namespace turbine::testing {

inline const std::vector<std::string> kIsas = {"generic", "avx2", "avx512"};

// A CPU backend for `isa`, or nullptr when this CPU cannot run it (callers GTEST_SKIP).
inline std::unique_ptr<Backend> make_backend(const std::string& isa, int threads) {
  auto result = make_cpu_backend(CpuBackendOptions{threads, isa});
  if (!result.is_ok()) {
    EXPECT_EQ(result.status().code(), ErrorCode::kUnsupported) << result.status().message();
    return nullptr;
  }
  return std::move(result).value();
}

#define TB_BACKEND_OR_SKIP(var, isa, threads)                \
  auto var = ::turbine::testing::make_backend(isa, threads); \
  if (!var) GTEST_SKIP() << "this CPU cannot run the " << (isa) << " kernels"

inline std::vector<float> gaussian(int64_t n, uint32_t seed, float sigma = 1.0f) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> dist(0.0f, sigma);
  std::vector<float> v(static_cast<size_t>(n));
  for (auto& x : v) x = dist(rng);
  return v;
}

inline std::vector<float> uniform(int64_t n, uint32_t seed, float lo, float hi) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(lo, hi);
  std::vector<float> v(static_cast<size_t>(n));
  for (auto& x : v) x = dist(rng);
  return v;
}

// A [rows, cols] weight in dtype t, quantized from Gaussian floats with GGML's reference
// quantizers, and its exact dequantized value (what the kernels must multiply by).
struct TestWeight {
  DType dtype;
  int64_t rows, cols;
  std::vector<uint8_t> data;
  std::vector<float> dequantized;  // [rows, cols]

  MatrixView view() const { return MatrixView{dtype, rows, cols, data.data()}; }
};

inline TestWeight quantized_weight(DType t, int64_t rows, int64_t cols, uint32_t seed) {
  TestWeight w{t, rows, cols, {}, {}};
  const std::vector<float> src = gaussian(rows * cols, seed, 0.5f);
  const int64_t rb = row_bytes(t, cols);
  w.data.resize(size_t(rows * rb));
  w.dequantized.resize(size_t(rows * cols));
  for (int64_t r = 0; r < rows; ++r) {
    quantize_row(t, src.data() + r * cols, cols, w.data.data() + r * rb);
    dequantize_row(t, w.data.data() + r * rb, cols, w.dequantized.data() + r * cols);
  }
  return w;
}

// Random block bytes with valid (finite, random-sign) f16 scales: reaches quants a
// quantizer rarely emits (Q8_0's -128, Q6_K's negative sub-block scales, all-15 nibbles).
inline TestWeight random_block_weight(DType t, int64_t rows, int64_t cols, uint32_t seed) {
  TestWeight w = quantized_weight(t, rows, cols, seed);
  if (!is_quantized(t)) return w;
  std::mt19937 rng(seed ^ 0x9e3779b9u);
  std::uniform_int_distribution<int> byte(0, 255);
  std::uniform_real_distribution<float> mag(0.25f, 2.0f);
  for (auto& b : w.data) b = uint8_t(byte(rng));
  auto scale = [&](float s) {
    const float v = (rng() & 1 ? -1.0f : 1.0f) * mag(rng) * s;
    uint16_t h;
    // f16 bit pattern of v, via a round trip through quantize_row on a 1-element f16 row.
    quantize_row(DType::kF16, &v, 1, &h);
    return h;
  };
  const int64_t nb = rows * cols / dtype_traits(t).block_elems;
  for (int64_t i = 0; i < nb; ++i) {
    uint8_t* blk = w.data.data() + i * dtype_traits(t).block_bytes;
    uint16_t h;
    switch (t) {
      case DType::kQ4_0:
        h = scale(1.0f / 16);
        std::memcpy(blk, &h, 2);
        break;
      case DType::kQ8_0:
        h = scale(1.0f / 128);
        std::memcpy(blk, &h, 2);
        break;
      case DType::kQ4_K:
        h = scale(1.0f / 256);
        std::memcpy(blk, &h, 2);
        h = scale(1.0f / 256);
        std::memcpy(blk + 2, &h, 2);
        break;
      case DType::kQ6_K:
        h = scale(1.0f / 2048);
        std::memcpy(blk + 208, &h, 2);
        break;
      default:
        break;
    }
  }
  const int64_t rb = row_bytes(t, cols);
  for (int64_t r = 0; r < rows; ++r)
    dequantize_row(t, w.data.data() + r * rb, cols, w.dequantized.data() + r * cols);
  return w;
}

}  // namespace turbine::testing
