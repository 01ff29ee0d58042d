// The row-wise and element-wise ops of the CPU backend, per ISA, against scalar references:
// get_rows, rms_norm, rope (both pairings), silu_mul, add, add_bias, store_kv (f32 / f16 /
// bf16 / q8_0).
#include <algorithm>
#include <cmath>

#include "backend_test_util.h"
#include "base/half.h"

namespace turbine::testing {
namespace {

class OpsTest : public ::testing::TestWithParam<std::string> {};

// Element counts around the 8/16-float vector widths and past the parallel threshold.
const int64_t kLengths[] = {1, 7, 8, 17, 64, 1000, 100003};

TEST_P(OpsTest, GetRowsMatchesReferenceDequantize) {
  TB_BACKEND_OR_SKIP(backend, GetParam(), 2);
  for (DType t : {DType::kF32, DType::kF16, DType::kBF16, DType::kQ8_0, DType::kQ4_0, DType::kQ4_K,
                  DType::kQ6_K}) {
    SCOPED_TRACE(std::string(dtype_name(t)));
    const int64_t cols = dtype_traits(t).block_elems == 1 ? 40 : 512;
    const TestWeight w = random_block_weight(t, 50, cols, 3);
    const std::vector<int32_t> ids = {7, 0, 49, 7, 23};
    std::vector<float> y(ids.size() * size_t(cols));
    backend->get_rows(w.view(), ids.data(), int64_t(ids.size()), y.data());
    for (size_t i = 0; i < ids.size(); ++i) {
      for (int64_t k = 0; k < cols; ++k) {
        const float ref = w.dequantized[size_t(ids[i] * cols + k)];
        ASSERT_NEAR(y[i * size_t(cols) + size_t(k)], ref, 1e-6f * (1.0f + std::fabs(ref)))
            << "row " << ids[i] << " col " << k;
      }
    }
  }
}

TEST_P(OpsTest, RmsNorm) {
  TB_BACKEND_OR_SKIP(backend, GetParam(), 2);
  for (int64_t dim : {1, 7, 64, 100, 2048}) {
    for (int64_t n : {1, 3, 40}) {
      const std::vector<float> x = gaussian(n * dim, uint32_t(dim + n), 3.0f);
      const std::vector<float> w = uniform(dim, 5, 0.5f, 1.5f);
      std::vector<float> y(x.size()), inplace = x;
      backend->rms_norm(x.data(), w.data(), n, dim, 1e-5f, y.data());
      backend->rms_norm(inplace.data(), w.data(), n, dim, 1e-5f, inplace.data());
      for (int64_t r = 0; r < n; ++r) {
        double ss = 0.0;
        for (int64_t i = 0; i < dim; ++i) ss += double(x[r * dim + i]) * x[r * dim + i];
        const double scale = 1.0 / std::sqrt(ss / double(dim) + 1e-5);
        for (int64_t i = 0; i < dim; ++i) {
          const double ref = x[r * dim + i] * scale * w[i];
          ASSERT_NEAR(y[r * dim + i], ref, 1e-5 * (1.0 + std::fabs(ref))) << dim << " " << n;
          ASSERT_EQ(inplace[r * dim + i], y[r * dim + i]);
        }
      }
    }
  }
}

void rope_reference(std::vector<float>& x, const std::vector<int32_t>& pos, int64_t heads,
                    int64_t hd, const std::vector<float>& inv_freq, RopeStyle style) {
  for (size_t t = 0; t < pos.size(); ++t) {
    for (int64_t h = 0; h < heads; ++h) {
      float* v = x.data() + (int64_t(t) * heads + h) * hd;
      for (int64_t i = 0; i < hd / 2; ++i) {
        const double angle = double(float(pos[t]) * inv_freq[i]);  // the angle in f32, as HF
        const double c = std::cos(angle), s = std::sin(angle);
        const int64_t a = style == RopeStyle::kNeox ? i : 2 * i;
        const int64_t b = style == RopeStyle::kNeox ? i + hd / 2 : 2 * i + 1;
        const double x0 = v[a], x1 = v[b];
        v[a] = float(x0 * c - x1 * s);
        v[b] = float(x0 * s + x1 * c);
      }
    }
  }
}

TEST_P(OpsTest, RopeBothStyles) {
  TB_BACKEND_OR_SKIP(backend, GetParam(), 2);
  for (RopeStyle style : {RopeStyle::kInterleaved, RopeStyle::kNeox}) {
    for (int64_t hd : {2, 6, 64, 128}) {
      for (int64_t n : {1, 5, 300}) {
        SCOPED_TRACE(::testing::Message() << (style == RopeStyle::kNeox ? "neox" : "interleaved")
                                          << " head_dim " << hd << " n " << n);
        const int64_t heads = 3;
        std::vector<float> inv_freq(static_cast<size_t>(hd / 2));
        for (int64_t i = 0; i < hd / 2; ++i)
          inv_freq[i] = float(std::pow(500000.0, -2.0 * double(i) / double(hd)));
        std::vector<int32_t> pos(static_cast<size_t>(n));
        for (int64_t t = 0; t < n; ++t) pos[t] = int32_t((t * 7919) % 4096);
        std::vector<float> x = gaussian(n * heads * hd, uint32_t(hd * n));
        std::vector<float> ref = x;
        rope_reference(ref, pos, heads, hd, inv_freq, style);
        backend->rope(x.data(), pos.data(), n, heads, hd, inv_freq.data(), style);
        for (size_t i = 0; i < x.size(); ++i) ASSERT_NEAR(x[i], ref[i], 2e-5) << "index " << i;
      }
    }
  }
}

TEST_P(OpsTest, SiluMul) {
  TB_BACKEND_OR_SKIP(backend, GetParam(), 2);
  for (int64_t n : kLengths) {
    std::vector<float> g = gaussian(n, uint32_t(n), 4.0f);
    if (n > 8) g[3] = -100.0f, g[4] = 100.0f, g[5] = -90.0f;  // exp under- and overflow
    const std::vector<float> up = gaussian(n, uint32_t(n) + 1);
    std::vector<float> out(static_cast<size_t>(n));
    backend->silu_mul(g.data(), up.data(), n, out.data());
    for (int64_t i = 0; i < n; ++i) {
      const double ref = g[i] / (1.0 + std::exp(-double(g[i]))) * up[i];
      ASSERT_NEAR(out[i], ref, 1e-6 + 2e-6 * std::fabs(ref)) << "n " << n << " i " << i;
    }
  }
}

TEST_P(OpsTest, AddAndAddBias) {
  TB_BACKEND_OR_SKIP(backend, GetParam(), 2);
  for (int64_t n : kLengths) {
    std::vector<float> y = gaussian(n, 1), x = gaussian(n, 2);
    std::vector<float> ref(static_cast<size_t>(n));
    for (int64_t i = 0; i < n; ++i) ref[i] = y[i] + x[i];
    backend->add(y.data(), x.data(), n);
    ASSERT_EQ(y, ref);
  }
  for (int64_t dim : {1, 9, 64, 3000}) {
    const int64_t rows = 33;
    std::vector<float> x = gaussian(rows * dim, 3), bias = gaussian(dim, 4);
    std::vector<float> ref = x;
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t i = 0; i < dim; ++i) ref[r * dim + i] += bias[i];
    backend->add_bias(x.data(), bias.data(), rows, dim);
    ASSERT_EQ(x, ref);
  }
}

TEST_P(OpsTest, StoreKvConvertsIntoSlots) {
  TB_BACKEND_OR_SKIP(backend, GetParam(), 2);
  for (DType t : {DType::kF32, DType::kF16, DType::kBF16}) {
    SCOPED_TRACE(std::string(dtype_name(t)));
    const int64_t kv_heads = 2, hd = 12, row = kv_heads * hd, num_slots = 40;
    const size_t elem = t == DType::kF32 ? 4 : 2;
    std::vector<uint8_t> kc(size_t(num_slots * row) * elem, 0xAB), vc = kc;
    KvLayerView kv{kc.data(), vc.data(), t, 8, kv_heads, hd};
    const std::vector<int32_t> slots = {17, 3, 39, 0, 8};
    const int64_t n = int64_t(slots.size());
    std::vector<float> k = gaussian(n * row, 1, 100.0f), v = gaussian(n * row, 2);
    k[0] = 1e6f;   // overflows f16 to inf
    k[1] = 1e-6f;  // f16 subnormal
    backend->store_kv(kv, k.data(), v.data(), slots.data(), n);
    for (int64_t i = 0; i < n; ++i) {
      for (int64_t j = 0; j < row; ++j) {
        const size_t at = size_t(slots[i] * row + j);
        for (int which = 0; which < 2; ++which) {
          const float src = (which ? v : k)[size_t(i * row + j)];
          const uint8_t* cache = (which ? vc : kc).data();
          if (t == DType::kF32) {
            float got;
            std::memcpy(&got, cache + at * 4, 4);
            ASSERT_EQ(got, src);
          } else {
            uint16_t got;
            std::memcpy(&got, cache + at * 2, 2);
            ASSERT_EQ(got, t == DType::kF16 ? f32_to_f16(src) : f32_to_bf16(src))
                << "slot " << slots[i] << " element " << j << " value " << src;
          }
        }
      }
    }
    // Slots not written keep their bytes.
    ASSERT_EQ(kc[size_t(1 * row) * elem], 0xAB);
  }
}

// q8_0 rows: per 32-element block, d = f16(absmax / 127) and every element within
// (0.5 + 128 / 2048) d of q * d (half a quant step, plus d's f16 rounding, 2^-11 relative,
// times |q| <= 127), the block's absmax element at +-127; bytes identical to the generic
// kernel's (the ISAs must agree exactly); other slots untouched.
TEST_P(OpsTest, StoreKvQuantizesQ8_0IntoSlots) {
  TB_BACKEND_OR_SKIP(backend, GetParam(), 2);
  TB_BACKEND_OR_SKIP(reference, "generic", 1);
  const int64_t kv_heads = 2, hd = 64, row = kv_heads * hd, num_slots = 40;
  const int64_t slot_bytes = row_bytes(DType::kQ8_0, row);
  std::vector<uint8_t> kc(size_t(num_slots * slot_bytes), 0xAB), vc = kc, ref_kc = kc, ref_vc = kc;
  const std::vector<int32_t> slots = {17, 3, 39, 0, 8};
  const int64_t n = int64_t(slots.size());
  std::vector<float> k = gaussian(n * row, 1, 100.0f), v = gaussian(n * row, 2);
  std::fill(v.begin() + 32, v.begin() + 64, 0.0f);  // an all-zero block: d = 0, quants 0
  backend->store_kv({kc.data(), vc.data(), DType::kQ8_0, 8, kv_heads, hd}, k.data(), v.data(),
                    slots.data(), n);
  reference->store_kv({ref_kc.data(), ref_vc.data(), DType::kQ8_0, 8, kv_heads, hd}, k.data(),
                      v.data(), slots.data(), n);
  ASSERT_EQ(kc, ref_kc);
  ASSERT_EQ(vc, ref_vc);
  for (int64_t i = 0; i < n; ++i) {
    for (int which = 0; which < 2; ++which) {
      const float* src = (which ? v : k).data() + i * row;
      const auto* blocks =
          reinterpret_cast<const BlockQ8_0*>((which ? vc : kc).data() + slots[i] * slot_bytes);
      for (int64_t b = 0; b < row / kQK; ++b) {
        float amax = 0.0f;
        for (int j = 0; j < kQK; ++j) amax = std::max(amax, std::fabs(src[b * kQK + j]));
        ASSERT_EQ(blocks[b].d, f32_to_f16(amax / 127.0f)) << "slot " << slots[i] << " block " << b;
        const float d = f16_to_f32(blocks[b].d);
        int max_q = 0;
        for (int j = 0; j < kQK; ++j) {
          const int q = blocks[b].qs[j];
          max_q = std::max(max_q, std::abs(q));
          ASSERT_NEAR(float(q) * d, src[b * kQK + j], d * (0.5f + 128.0f / 2048));
        }
        ASSERT_EQ(max_q, amax > 0.0f ? 127 : 0);
      }
    }
  }
  ASSERT_EQ(kc[size_t(1 * slot_bytes)], 0xAB);  // slot 1 was not written
}

INSTANTIATE_TEST_SUITE_P(AllIsas, OpsTest, ::testing::ValuesIn(kIsas),
                         [](const auto& info) { return info.param; });

TEST(CpuBackendFactory, RejectsUnknownIsaAndBadThreads) {
  auto unknown = make_cpu_backend(CpuBackendOptions{1, "sse9"});
  ASSERT_FALSE(unknown.is_ok());
  EXPECT_EQ(unknown.status().code(), ErrorCode::kInvalidArgument);
  auto negative = make_cpu_backend(CpuBackendOptions{-1, "auto"});
  ASSERT_FALSE(negative.is_ok());
  EXPECT_EQ(negative.status().code(), ErrorCode::kInvalidArgument);
}

TEST(CpuBackendFactory, AutoPicksARunnableIsaAndNamesIt) {
  auto backend = make_cpu_backend(CpuBackendOptions{2, "auto"});
  ASSERT_TRUE(backend.is_ok()) << backend.status().message();
  const std::string name = (*backend)->name();
  EXPECT_TRUE(name.find("2 threads") != std::string::npos) << name;
  EXPECT_TRUE(name.rfind("cpu (", 0) == 0) << name;
}

TEST(CpuBackendFactory, AllocIsAlignedAndZeroed) {
  auto backend = make_backend("generic", 1);
  auto* p = static_cast<uint8_t*>(backend->alloc(1000));
  ASSERT_EQ(reinterpret_cast<uintptr_t>(p) % 64, 0u);
  for (int i = 0; i < 1000; ++i) ASSERT_EQ(p[i], 0);
  backend->free(p);
}

}  // namespace
}  // namespace turbine::testing
