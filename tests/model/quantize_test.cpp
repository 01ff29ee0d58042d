#include "model/quantize.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "base/half.h"

namespace turbine {
namespace {

std::vector<float> gaussian(int64_t n, uint32_t seed, float sigma = 1.0f) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> dist(0.0f, sigma);
  std::vector<float> v(static_cast<size_t>(n));
  for (auto& x : v) x = dist(rng);
  return v;
}

std::vector<float> round_trip(DType t, const std::vector<float>& x) {
  std::vector<uint8_t> q(size_t(row_bytes(t, int64_t(x.size()))));
  quantize_row(t, x.data(), int64_t(x.size()), q.data());
  std::vector<float> y(x.size());
  dequantize_row(t, q.data(), int64_t(x.size()), y.data());
  return y;
}

// rms(y - x) / rms(x)
double relative_rms_error(const std::vector<float>& x, const std::vector<float>& y) {
  double err = 0, ref = 0;
  for (size_t i = 0; i < x.size(); ++i) {
    err += double(y[i] - x[i]) * double(y[i] - x[i]);
    ref += double(x[i]) * double(x[i]);
  }
  return std::sqrt(err / ref);
}

struct RoundTripCase {
  DType dtype;
  double max_relative_rms;  // bound on rms(error) / rms(data) for Gaussian data
};

// gtest would otherwise print the struct's raw bytes, padding included.
void PrintTo(const RoundTripCase& c, std::ostream* os) {
  *os << dtype_name(c.dtype) << " within " << c.max_relative_rms;
}

class QuantizeRoundTrip : public ::testing::TestWithParam<RoundTripCase> {};

TEST_P(QuantizeRoundTrip, GaussianRowsStayWithinBound) {
  const auto [dtype, bound] = GetParam();
  for (uint32_t seed : {1u, 2u, 3u}) {
    const auto x = gaussian(4096, seed, 0.02f * float(seed));  // weight-like magnitudes
    const auto y = round_trip(dtype, x);
    const double e = relative_rms_error(x, y);
    EXPECT_LT(e, bound) << dtype_name(dtype) << " seed " << seed;
    if (dtype != DType::kF32) {
      EXPECT_GT(e, 0.0) << "a lossy type that loses nothing is suspicious";
    }
  }
}

TEST_P(QuantizeRoundTrip, ZerosStayZero) {
  const DType dtype = GetParam().dtype;
  const std::vector<float> x(512, 0.0f);
  for (float v : round_trip(dtype, x)) EXPECT_EQ(v, 0.0f) << dtype_name(dtype);
}

TEST_P(QuantizeRoundTrip, BlockWithOneOutlierKeepsTheOutlier) {
  const DType dtype = GetParam().dtype;
  auto x = gaussian(256, 7, 0.01f);
  x[37] = 1.0f;
  const auto y = round_trip(dtype, x);
  EXPECT_NEAR(y[37], 1.0f, 0.05f) << dtype_name(dtype);
}

INSTANTIATE_TEST_SUITE_P(AllDTypes, QuantizeRoundTrip,
                         ::testing::Values(RoundTripCase{DType::kF32, 1e-7}, RoundTripCase{DType::kF16, 5e-4},
                                           RoundTripCase{DType::kBF16, 4e-3}, RoundTripCase{DType::kQ8_0, 0.01},
                                           RoundTripCase{DType::kQ6_K, 0.02}, RoundTripCase{DType::kQ4_K, 0.08},
                                           RoundTripCase{DType::kQ4_0, 0.10}),
                         [](const auto& info) { return std::string(dtype_name(info.param.dtype)); });

// ---- known answers: hand-built blocks, values checked exactly --------------------------------------

template <typename Block>
std::vector<float> dequantize_block(DType t, const Block& b, int n) {
  std::vector<float> y(static_cast<size_t>(n));
  dequantize_row(t, &b, n, y.data());
  return y;
}

TEST(Dequantize, Q8_0KnownBlock) {
  BlockQ8_0 b;
  b.d = 0x3800;  // f16 0.5
  for (int j = 0; j < 32; ++j) b.qs[j] = int8_t(j - 16);
  const auto y = dequantize_block(DType::kQ8_0, b, 32);
  for (int j = 0; j < 32; ++j) EXPECT_EQ(y[j], 0.5f * float(j - 16)) << j;
}

TEST(Dequantize, Q4_0KnownBlock) {
  BlockQ4_0 b;
  b.d = 0x4000;  // f16 2.0
  for (int j = 0; j < 16; ++j) b.qs[j] = uint8_t(j | ((15 - j) << 4));
  const auto y = dequantize_block(DType::kQ4_0, b, 32);
  for (int j = 0; j < 16; ++j) {
    EXPECT_EQ(y[j], 2.0f * float(j - 8)) << j;            // low nibbles: elements 0..15
    EXPECT_EQ(y[j + 16], 2.0f * float(7 - j)) << j + 16;  // high nibbles: elements 16..31
  }
}

TEST(Dequantize, Q4_KKnownBlock) {
  BlockQ4_K b;
  b.d = 0x3C00;     // 1.0
  b.dmin = 0x3800;  // 0.5
  const uint8_t scales[12] = {0x41, 0x02, 0x03, 0xC4, 0x05, 0x06, 0x47, 0x08, 0x21, 0x43, 0x65, 0x87};
  std::memcpy(b.scales, scales, 12);
  // Unpacked by hand from the bytes above (6-bit fields, see get_scale_min_k4).
  const int sc[8] = {1, 2, 3, 4, 17, 3, 5, 55};
  const int mn[8] = {5, 6, 7, 8, 2, 4, 22, 8};
  for (int i = 0; i < 128; ++i) b.qs[i] = uint8_t((i & 15) | ((15 - (i % 11)) << 4));
  const auto y = dequantize_block(DType::kQ4_K, b, 256);
  for (int e = 0; e < 256; ++e) {
    const int chunk = e / 64, r = e % 64;
    const uint8_t byte = b.qs[32 * chunk + r % 32];
    const int q = r < 32 ? (byte & 0xF) : (byte >> 4);
    const int sub = 2 * chunk + (r < 32 ? 0 : 1);
    EXPECT_EQ(y[e], 1.0f * float(sc[sub] * q) - 0.5f * float(mn[sub])) << e;
  }
}

TEST(Dequantize, Q6_KKnownBlock) {
  BlockQ6_K b;
  b.d = 0x3400;  // 0.25
  for (int i = 0; i < 128; ++i) b.ql[i] = uint8_t(i * 7);
  for (int i = 0; i < 64; ++i) b.qh[i] = uint8_t(i * 13);
  for (int s = 0; s < 16; ++s) b.scales[s] = int8_t(s - 8);
  const auto y = dequantize_block(DType::kQ6_K, b, 256);
  for (int e = 0; e < 256; ++e) {
    // Layout: per half h of 128, group g = r / 32 (0..3), lane l = r % 32; the low nibble of group
    // g sits in ql[64h + l + 32*(g&1)] (high nibble when g >= 2), its 2 high bits in qh[32h + l]
    // at bit 2g; the scale of element e is scales[8h + 2g + l/16].
    const int h = e / 128, r = e % 128, g = r / 32, l = r % 32;
    const uint8_t lo_byte = b.ql[64 * h + l + 32 * (g & 1)];
    const int lo = g >= 2 ? (lo_byte >> 4) : (lo_byte & 0xF);
    const int hi = (b.qh[32 * h + l] >> (2 * g)) & 3;
    const int q = (lo | (hi << 4)) - 32;
    const int scale = b.scales[8 * h + 2 * g + l / 16];
    EXPECT_EQ(y[e], 0.25f * float(scale) * float(q)) << e;
  }
}

TEST(Dequantize, HalfTypesKnownValues) {
  const uint16_t f16[4] = {0x3C00, 0xC000, 0x0001, 0x7BFF};  // 1, -2, smallest subnormal, 65504
  std::vector<float> y(4);
  dequantize_row(DType::kF16, f16, 4, y.data());
  EXPECT_EQ(y[0], 1.0f);
  EXPECT_EQ(y[1], -2.0f);
  EXPECT_EQ(y[2], std::ldexp(1.0f, -24));
  EXPECT_EQ(y[3], 65504.0f);
  const uint16_t bf16[2] = {0x3F80, 0xC040};  // 1, -3
  dequantize_row(DType::kBF16, bf16, 2, y.data());
  EXPECT_EQ(y[0], 1.0f);
  EXPECT_EQ(y[1], -3.0f);
}

// ---- quantizer behaviour GGML's reference algorithms guarantee --------------------------------------

TEST(Quantize, Q8_0ScaleIsAbsMaxOver127) {
  std::vector<float> x(32);
  for (int j = 0; j < 32; ++j) x[j] = float(j - 20) * 0.1f;  // abs max 2.0 at j = 0
  BlockQ8_0 b;
  quantize_row(DType::kQ8_0, x.data(), 32, &b);
  EXPECT_EQ(b.d, f32_to_f16(2.0f / 127));
  EXPECT_EQ(b.qs[0], -127);
  EXPECT_EQ(b.qs[20], 0);
}

TEST(Quantize, Q4_0MapsTheSignedExtremeToMinus8) {
  std::vector<float> x(32, 0.25f);
  x[5] = -4.0f;
  BlockQ4_0 b;
  quantize_row(DType::kQ4_0, x.data(), 32, &b);
  EXPECT_EQ(b.d, f32_to_f16(0.5f));  // d = max / -8 = -4 / -8
  EXPECT_EQ(b.qs[5] & 0xF, 0);      // -4 / 0.5 + 8 = 0
  const auto y = round_trip(DType::kQ4_0, x);
  EXPECT_EQ(y[5], -4.0f);
}

TEST(Quantize, Q4_KSubBlocksWithDifferentRangesGetTheirOwnScales) {
  // Sub-block j holds values in [0, j + 1): a shared scale would crush the small ones.
  std::vector<float> x(256);
  for (int e = 0; e < 256; ++e) x[e] = float(e % 32) / 31.0f * float(e / 32 + 1);
  const auto y = round_trip(DType::kQ4_K, x);
  for (int j = 0; j < 8; ++j) {
    double err = 0;
    for (int l = 0; l < 32; ++l) err = std::max(err, std::fabs(double(y[32 * j + l] - x[32 * j + l])));
    EXPECT_LT(err, 0.06 * (j + 1)) << "sub-block " << j;  // half a step of 15 levels, plus rounding
  }
}

TEST(Quantize, Q6_KIsNearlyLosslessOnSmallIntegers) {
  std::vector<float> x(256);
  for (int e = 0; e < 256; ++e) x[e] = float((e * 37) % 63 - 31);
  const auto y = round_trip(DType::kQ6_K, x);
  EXPECT_LT(relative_rms_error(x, y), 0.01);
}

TEST(QuantizeTensor, EncodesRowByRow) {
  const auto x = gaussian(2 * 512, 11);
  auto q = quantize_tensor(DType::kQ4_K, x.data(), 2, 512);
  ASSERT_TRUE(q.is_ok()) << q.status().message();
  ASSERT_EQ(q->size(), size_t(2 * row_bytes(DType::kQ4_K, 512)));
  std::vector<uint8_t> row1(static_cast<size_t>(row_bytes(DType::kQ4_K, 512)));
  quantize_row(DType::kQ4_K, x.data() + 512, 512, row1.data());
  EXPECT_EQ(0, std::memcmp(q->data() + row1.size(), row1.data(), row1.size()));
}

TEST(QuantizeTensor, RefusesRowsThatAreNotWholeBlocks) {
  const std::vector<float> x(3 * 100, 1.0f);
  auto q = quantize_tensor(DType::kQ4_K, x.data(), 3, 100);
  ASSERT_FALSE(q.is_ok());
  EXPECT_EQ(q.status().code(), ErrorCode::kInvalidArgument);
  EXPECT_NE(q.status().message().find("100 is not a multiple of the q4_K block size 256"), std::string::npos)
      << q.status().message();
  EXPECT_TRUE(quantize_tensor(DType::kF16, x.data(), 3, 100).is_ok());
}

TEST(QuantizeDeathTest, RowNotAMultipleOfTheBlockIsAnInvariantViolation) {
  std::vector<float> x(48, 1.0f);
  std::vector<uint8_t> out(64);
  EXPECT_DEATH(quantize_row(DType::kQ8_0, x.data(), 48, out.data()), "not a multiple");
}

}  // namespace
}  // namespace turbine
