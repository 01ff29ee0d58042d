// Backend::matmul for every weight dtype and ISA against a double-precision reference on the
// dequantized weights. Tolerances per dtype:
//   all:              1e-5 * sum|w x| + 1e-6 (f32 accumulation in a different order)
//   q8_0/q4_0 (x in q8_0 blocks of 32) and q4_K/q6_K (q8_K blocks of 256): plus six standard
//                     deviations of the activation rounding error, uniform in +-d/2 with
//                     d = amax(block) / 127 per element: 6 * sqrt(sum (w_k d_k)^2 / 12)
//   bf16 on avx512:   plus six standard deviations of rounding x to bf16 (relative 2^-8)
// "Exact" activations are integers in [-127, 127] times a power of two with a +-127 in every
// 32-element block: 8-bit quantization (and bf16) represent them exactly, so the integer paths
// must match the reference to float rounding.
#include <algorithm>
#include <cmath>
#include <tuple>

#include "backend_test_util.h"

namespace turbine::testing {
namespace {

enum class XKind { kGaussian, kExact };

struct Shape {
  int64_t rows, cols, n;
};

std::vector<Shape> shapes_for(DType t) {
  const int64_t b = dtype_traits(t).block_elems;
  if (b == 1) {
    return {{1, 1, 1},   {3, 7, 3},  {37, 33, 17},   {130, 100, 4},
            {9, 512, 5}, {5, 16, 2}, {300, 2048, 1}, {300, 2048, 9}};
  }
  if (b == 32) {
    // {6, 256, 1} and {7, 2048, 1}: GEMV with 2 and 3 rows after the 4-row tiles.
    return {{1, 32, 1},   {3, 32, 3}, {37, 96, 17},   {130, 512, 4},  {9, 2048, 5},
            {64, 256, 2}, {7, 64, 6}, {300, 2048, 1}, {300, 2048, 9}, {6, 256, 1},
            {7, 2048, 1}};
  }
  return {{1, 256, 1},  {3, 256, 3},  {37, 512, 17},  {130, 512, 4},
          {9, 2048, 5}, {64, 256, 2}, {300, 2048, 1}, {300, 2048, 9}};
}

std::vector<float> exact_activations(int64_t n, int64_t cols, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int> q(-127, 127);
  std::uniform_int_distribution<int> e(-3, 3);
  std::vector<float> x(static_cast<size_t>(n * cols));
  for (int64_t c = 0; c < n; ++c) {
    const float s = std::ldexp(1.0f, e(rng));
    float* row = x.data() + c * cols;
    for (int64_t k = 0; k < cols; ++k) row[k] = float(q(rng)) * s;
    for (int64_t b = 0; b < cols; b += 32) {
      const int64_t len = std::min<int64_t>(32, cols - b);
      row[b + int64_t(rng() % uint32_t(len))] = (rng() & 1 ? 127.0f : -127.0f) * s;
    }
    if (c % 3 == 2 && cols >= 64) std::fill(row + 32, row + 64, 0.0f);  // an all-zero block
  }
  return x;
}

int64_t activation_block(DType t) {
  switch (t) {
    case DType::kQ4_0:
    case DType::kQ8_0:
      return 32;
    case DType::kQ4_K:
    case DType::kQ6_K:
      return 256;
    default:
      return 0;
  }
}

double tolerance(DType t, const std::string& isa, const float* w, const float* x, int64_t k,
                 XKind kind) {
  double abs_sum = 0.0;
  for (int64_t i = 0; i < k; ++i) abs_sum += std::fabs(double(w[i]) * x[i]);
  double tol = 1e-5 * abs_sum + 1e-6;
  if (kind == XKind::kExact) return tol;
  if (const int64_t blk = activation_block(t)) {
    double var = 0.0;
    for (int64_t b = 0; b < k; b += blk) {
      double amax = 0.0;
      for (int64_t i = b; i < b + blk; ++i) amax = std::max(amax, std::fabs(double(x[i])));
      const double d = amax / 127.0;
      for (int64_t i = b; i < b + blk; ++i) var += (w[i] * d) * (w[i] * d) / 12.0;
    }
    tol += 6.0 * std::sqrt(var);
  }
  if (t == DType::kBF16 && isa == "avx512") {
    double var = 0.0;
    for (int64_t i = 0; i < k; ++i) {
      const double e = double(w[i]) * x[i] * std::ldexp(1.0, -8);
      var += e * e / 3.0;
    }
    tol += 6.0 * std::sqrt(var);
  }
  return tol;
}

// `view`: w as given to matmul, w.view() unless a test passes the backend's prepared form.
void check_matmul(Backend& backend, const std::string& isa, const TestWeight& w, int64_t n,
                  XKind kind, uint32_t seed, const MatrixView* view = nullptr) {
  const std::vector<float> x =
      kind == XKind::kExact ? exact_activations(n, w.cols, seed) : gaussian(n * w.cols, seed);
  std::vector<float> y(size_t(n * w.rows), std::nanf(""));
  backend.matmul(view ? *view : w.view(), x.data(), n, y.data());
  int failures = 0;
  for (int64_t c = 0; c < n; ++c) {
    for (int64_t r = 0; r < w.rows; ++r) {
      const float* wr = w.dequantized.data() + r * w.cols;
      const float* xc = x.data() + c * w.cols;
      double ref = 0.0;
      for (int64_t i = 0; i < w.cols; ++i) ref += double(wr[i]) * xc[i];
      const double tol = tolerance(w.dtype, isa, wr, xc, w.cols, kind);
      const double got = y[size_t(c * w.rows + r)];
      if (!(std::fabs(got - ref) <= tol) && ++failures <= 5) {
        ADD_FAILURE() << dtype_name(w.dtype) << " [" << w.rows << " x " << w.cols << "], n=" << n
                      << ": y[" << c << ", " << r << "] = " << got << ", reference " << ref
                      << " (tolerance " << tol << ")";
      }
    }
  }
}

class MatmulTest : public ::testing::TestWithParam<std::tuple<std::string, DType>> {};

TEST_P(MatmulTest, GaussianActivations) {
  const auto& [isa, dtype] = GetParam();
  for (int threads : {1, 2}) {
    TB_BACKEND_OR_SKIP(backend, isa, threads);
    uint32_t seed = 1;
    for (const Shape& s : shapes_for(dtype)) {
      SCOPED_TRACE(::testing::Message() << "threads " << threads << ", shape " << s.rows << "x"
                                        << s.cols << " n " << s.n);
      const TestWeight w = quantized_weight(dtype, s.rows, s.cols, ++seed);
      check_matmul(*backend, isa, w, s.n, XKind::kGaussian, ++seed);
    }
  }
}

TEST_P(MatmulTest, ExactActivations) {
  const auto& [isa, dtype] = GetParam();
  TB_BACKEND_OR_SKIP(backend, isa, 2);
  uint32_t seed = 100;
  for (const Shape& s : shapes_for(dtype)) {
    SCOPED_TRACE(::testing::Message() << "shape " << s.rows << "x" << s.cols << " n " << s.n);
    const TestWeight w = quantized_weight(dtype, s.rows, s.cols, ++seed);
    check_matmul(*backend, isa, w, s.n, XKind::kExact, ++seed);
  }
}

// Arbitrary block bytes: extreme quants and negative scales the quantizers rarely produce.
TEST_P(MatmulTest, RandomBlocks) {
  const auto& [isa, dtype] = GetParam();
  if (!is_quantized(dtype)) GTEST_SKIP() << "plain type";
  TB_BACKEND_OR_SKIP(backend, isa, 2);
  uint32_t seed = 200;
  for (const Shape& s : shapes_for(dtype)) {
    SCOPED_TRACE(::testing::Message() << "shape " << s.rows << "x" << s.cols << " n " << s.n);
    const TestWeight w = random_block_weight(dtype, s.rows, s.cols, ++seed);
    check_matmul(*backend, isa, w, s.n, XKind::kExact, ++seed);
    check_matmul(*backend, isa, w, s.n, XKind::kGaussian, ++seed);
  }
}

// The same product through every ISA and thread count gives the same answer to rounding:
// the activation quantization is shared, so only the summation order differs.
TEST_P(MatmulTest, AgreesWithGeneric) {
  const auto& [isa, dtype] = GetParam();
  TB_BACKEND_OR_SKIP(backend, isa, 2);
  auto reference = make_backend("generic", 1);
  const int64_t cols = dtype_traits(dtype).block_elems == 1 ? 640 : 1024;
  // 67 rows: the last panel ends in a lone row. 38 rows: panels of 8, which 3-row tiles (the
  // AVX2 float GEMM) leave a pair of.
  for (int64_t rows : {67, 38}) {
    const TestWeight w = quantized_weight(dtype, rows, cols, 7);
    for (int64_t n : {1, 6}) {
      const std::vector<float> x = gaussian(n * cols, 8 + uint32_t(n));
      std::vector<float> y(size_t(n * w.rows)), y_ref(size_t(n * w.rows));
      backend->matmul(w.view(), x.data(), n, y.data());
      reference->matmul(w.view(), x.data(), n, y_ref.data());
      for (size_t i = 0; i < y.size(); ++i) {
        const double tol = dtype == DType::kBF16 && isa == "avx512" ? 0.05 : 2e-4;
        ASSERT_NEAR(y[i], y_ref[i], tol * (1.0 + std::fabs(y_ref[i])))
            << "rows=" << rows << " n=" << n << " i=" << i;
      }
    }
  }
}

// Backend::prepare_weight: the prepared matrix (on AVX2 and AVX-512, Q4_0, Q8_0, Q4_K and Q6_K
// with rows % 8 == 0 come back interleaved in groups of 8 rows) gives the same products and the
// same get_rows, for GEMV, the 2-3 column tiles and the GEMM, with 1 and 2 threads.
TEST_P(MatmulTest, PreparedWeights) {
  const auto& [isa, dtype] = GetParam();
  // rows: one panel of 1-3 groups, and 37 groups (panels of several group pairs, some ending
  // in a lone group); n: GEMV, 2 and 3 columns, tiles of 3 with remainders of 1 and 2 (5, 7:
  // interleaved K-quants below their GEMM), 9, and 17 (a GEMM that splits Q4_0's nibbles into
  // scratch first). cols are rounded up to the dtype's block.
  std::vector<Shape> shapes = {{8, 32, 1},     {16, 64, 1},    {24, 2048, 1},   {40, 96, 3},
                               {64, 256, 2},   {296, 2048, 1}, {296, 2048, 9},  {136, 512, 17},
                               {30, 64, 4},    {48, 512, 5},   {16, 256, 7}};
  const int64_t b = dtype_traits(dtype).block_elems;
  for (Shape& s : shapes) s.cols = (s.cols + b - 1) / b * b;
  uint32_t seed = 300;
  for (int threads : {1, 2}) {
    TB_BACKEND_OR_SKIP(backend, isa, threads);
    for (const Shape& s : shapes) {
      // Random quant bytes too (Q8_0 down to -128, Q4_0 nibbles over the whole 0..15).
      const TestWeight w = s.n % 2 == 1 ? random_block_weight(dtype, s.rows, s.cols, ++seed)
                                        : quantized_weight(dtype, s.rows, s.cols, ++seed);
      auto result = backend->prepare_weight(w.view());
      ASSERT_TRUE(result.is_ok()) << result.status().message();
      const PreparedWeight& prepared = result.value();
      const bool interleave = isa != "generic" && s.rows % 8 == 0 &&
                              (dtype == DType::kQ4_0 || dtype == DType::kQ8_0 ||
                               dtype == DType::kQ4_K || dtype == DType::kQ6_K);
      EXPECT_EQ(prepared.view.layout,
                interleave ? MatrixLayout::kInterleaved8 : MatrixLayout::kRowMajor);
      EXPECT_EQ(prepared.view.data == w.data.data(), !interleave);
      EXPECT_EQ(prepared.storage != nullptr, interleave);
      check_matmul(*backend, isa, w, s.n, XKind::kExact, ++seed, &prepared.view);
      check_matmul(*backend, isa, w, s.n, XKind::kGaussian, ++seed, &prepared.view);

      const std::vector<int32_t> ids = {int32_t(s.rows - 1), 0, int32_t(s.rows / 2), 7 % int32_t(s.rows)};
      std::vector<float> got(ids.size() * size_t(s.cols)), want(got.size());
      backend->get_rows(prepared.view, ids.data(), int64_t(ids.size()), got.data());
      backend->get_rows(w.view(), ids.data(), int64_t(ids.size()), want.data());
      EXPECT_EQ(got, want) << "get_rows [" << s.rows << " x " << s.cols << "]";
    }
  }
}

// Fills every block of row r with the largest quants its type has (odd rows: the smallest), so
// that the kernels' integer sums reach their bounds.
void set_extreme_row(DType t, uint8_t* row, int64_t cols, int64_t r) {
  const bool high = r % 2 == 0;
  const int64_t bb = dtype_traits(t).block_bytes;
  for (int64_t b = 0; b < cols / dtype_traits(t).block_elems; ++b) {
    uint8_t* blk = row + b * bb;
    switch (t) {
      case DType::kQ4_0:
      case DType::kQ8_0: {
        const uint16_t d = t == DType::kQ4_0 ? 0x2C00 : 0x2000;  // f16 1/16, 1/128
        std::memcpy(blk, &d, 2);
        // Q8_0's -128 is 0x80.
        const uint8_t q = t == DType::kQ4_0 ? (high ? 0xFF : 0x00) : (high ? 0x7F : 0x80);
        std::memset(blk + 2, q, size_t(bb - 2));
        break;
      }
      case DType::kQ4_K: {  // scales and mins all 63; d = d_min = 1/16
        auto* k = reinterpret_cast<BlockQ4_K*>(blk);
        k->d = k->dmin = 0x2C00;
        std::memset(k->scales, 0xFF, sizeof(k->scales));
        std::memset(k->qs, high ? 0xFF : 0x00, sizeof(k->qs));
        break;
      }
      case DType::kQ6_K: {  // quants 63 with scales 127, or 0 (-32) with scales -128
        auto* k = reinterpret_cast<BlockQ6_K*>(blk);
        k->d = 0x2000;
        std::memset(k->ql, high ? 0xFF : 0x00, sizeof(k->ql));
        std::memset(k->qh, high ? 0xFF : 0x00, sizeof(k->qh));
        std::memset(k->scales, high ? 0x7F : 0x80, sizeof(k->scales));
        break;
      }
      default:
        FAIL() << "no extreme quants for " << dtype_name(t);
    }
  }
}

// The kernels' integer sums at their bounds: every quant at its largest (or smallest) value,
// against activations that are all +-127 once quantized, so each i16 pair sum and each i16
// accumulation reaches its largest magnitude (AVX2 interleaved Q4_0 and Q4_K: 8 pairs of
// 15 * 127, 30480; Q6_K: 2 pairs of 63 * 127, 32004). Row-major and prepared weights alike must
// match the reference exactly.
TEST_P(MatmulTest, ExtremeQuantsDoNotSaturate) {
  const auto& [isa, dtype] = GetParam();
  if (!is_quantized(dtype)) GTEST_SKIP() << "not a quantized type";
  TB_BACKEND_OR_SKIP(backend, isa, 1);
  // n: a GEMV, batched decode of 3, a GEMM of 5 rows (the interleaved Q4_0 tiles unpack nibbles
  // in registers; K-quants repack), and 17, past the row count at which the Q4_0 GEMM splits
  // its nibbles into scratch first.
  const int64_t rows = 16, cols = 2048, n = 17;
  TestWeight w = quantized_weight(dtype, rows, cols, 11);
  const int64_t rb = row_bytes(dtype, cols);
  for (int64_t r = 0; r < rows; ++r) {
    set_extreme_row(dtype, w.data.data() + r * rb, cols, r);
    dequantize_row(dtype, w.data.data() + r * rb, cols, w.dequantized.data() + r * cols);
  }
  std::vector<float> x(size_t(n * cols));
  for (int64_t c = 0; c < n; ++c)
    for (int64_t k = 0; k < cols; ++k) x[size_t(c * cols + k)] = c % 2 ? -127.0f : 127.0f;
  auto prepared = backend->prepare_weight(w.view());
  ASSERT_TRUE(prepared.is_ok()) << prepared.status().message();
  for (const MatrixView& view : {w.view(), prepared.value().view}) {
    for (int64_t cols_n : {int64_t(1), int64_t(3), int64_t(5), n}) {
      std::vector<float> y(size_t(cols_n * rows));
      backend->matmul(view, x.data(), cols_n, y.data());
      for (int64_t c = 0; c < cols_n; ++c) {
        for (int64_t r = 0; r < rows; ++r) {
          double ref = 0.0;
          for (int64_t k = 0; k < cols; ++k)
            ref += double(w.dequantized[size_t(r * cols + k)]) * x[size_t(c * cols + k)];
          ASSERT_NEAR(y[size_t(c * rows + r)], ref, 1e-5 * std::fabs(ref))
              << "n=" << cols_n << " y[" << c << ", " << r << "]"
              << (view.layout == MatrixLayout::kInterleaved8 ? " (interleaved)" : "");
        }
      }
    }
  }
}

std::string param_name(const ::testing::TestParamInfo<MatmulTest::ParamType>& info) {
  return std::get<0>(info.param) + "_" + std::string(dtype_name(std::get<1>(info.param)));
}

INSTANTIATE_TEST_SUITE_P(
    AllIsas, MatmulTest,
    ::testing::Combine(::testing::ValuesIn(kIsas),
                       ::testing::Values(DType::kF32, DType::kF16, DType::kBF16, DType::kQ8_0,
                                         DType::kQ4_0, DType::kQ4_K, DType::kQ6_K)),
    param_name);

}  // namespace
}  // namespace turbine::testing
