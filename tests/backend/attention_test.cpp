// Paged causal grouped-query attention per ISA against a naive reference: several sequences
// of different context and query lengths (prefill, chunked prefill, decode) in one batch,
// block tables that scatter each sequence over non-contiguous physical blocks, f32 / f16 /
// bf16 caches. Tolerance: 2e-5 + 2e-5 * |ref| (the reference reads the same cache elements,
// so only the summation order and the vector exp differ).
#include <algorithm>
#include <cmath>
#include <numeric>

#include "backend_test_util.h"
#include "base/half.h"

namespace turbine::testing {
namespace {

struct SeqSpec {
  int32_t context;  // seq_lens[s] after this step
  int32_t queries;  // rows of q this step (the last `queries` positions)
};

struct AttentionCase {
  std::vector<SeqSpec> seqs;
  int64_t num_heads, num_kv_heads, head_dim, block_size;
};

float cache_value(DType t, const uint8_t* p) {
  uint16_t h;
  switch (t) {
    case DType::kF32: {
      float f;
      std::memcpy(&f, p, 4);
      return f;
    }
    case DType::kF16:
      std::memcpy(&h, p, 2);
      return f16_to_f32(h);
    default:
      std::memcpy(&h, p, 2);
      return bf16_to_f32(h);
  }
}

void store_value(DType t, float v, uint8_t* p) {
  uint16_t h;
  switch (t) {
    case DType::kF32:
      std::memcpy(p, &v, 4);
      return;
    case DType::kF16:
      h = f32_to_f16(v);
      std::memcpy(p, &h, 2);
      return;
    default:
      h = f32_to_bf16(v);
      std::memcpy(p, &h, 2);
      return;
  }
}

void run_case(const std::string& isa, int threads, const AttentionCase& tc, DType kv_dtype) {
  TB_BACKEND_OR_SKIP(backend, isa, threads);
  const int64_t num_seqs = int64_t(tc.seqs.size());
  const int64_t hd = tc.head_dim, bs = tc.block_size;
  const int64_t elem = kv_dtype == DType::kF32 ? 4 : 2;
  const int64_t slot_bytes = tc.num_kv_heads * hd * elem;

  // Block tables: every sequence's logical blocks map to a shuffled set of physical blocks.
  int64_t max_blocks = 0, total_blocks = 0;
  for (const auto& s : tc.seqs) {
    max_blocks = std::max<int64_t>(max_blocks, (s.context + bs - 1) / bs);
    total_blocks += (s.context + bs - 1) / bs;
  }
  total_blocks += 3;  // unused blocks in between
  std::vector<int32_t> physical(static_cast<size_t>(total_blocks));
  std::iota(physical.begin(), physical.end(), 0);
  std::shuffle(physical.begin(), physical.end(), std::mt19937(42));
  std::vector<int32_t> tables(size_t(num_seqs * max_blocks), -1);
  size_t next = 0;
  for (int64_t s = 0; s < num_seqs; ++s)
    for (int64_t b = 0; b < (tc.seqs[s].context + bs - 1) / bs; ++b)
      tables[size_t(s * max_blocks + b)] = physical[next++];

  std::vector<uint8_t> kc(static_cast<size_t>(total_blocks * bs * slot_bytes)), vc(kc.size());
  {
    const std::vector<float> kr = gaussian(int64_t(kc.size()) / elem, 11);
    const std::vector<float> vr = gaussian(int64_t(vc.size()) / elem, 12);
    for (size_t i = 0; i < kr.size(); ++i) {
      store_value(kv_dtype, kr[i], kc.data() + i * size_t(elem));
      store_value(kv_dtype, vr[i], vc.data() + i * size_t(elem));
    }
  }

  std::vector<int32_t> query_start(size_t(num_seqs + 1), 0),
      seq_lens(static_cast<size_t>(num_seqs));
  for (int64_t s = 0; s < num_seqs; ++s) {
    query_start[s + 1] = query_start[s] + tc.seqs[s].queries;
    seq_lens[s] = tc.seqs[s].context;
  }
  const int64_t num_tokens = query_start[num_seqs];
  const int64_t q_width = tc.num_heads * hd;
  const std::vector<float> q = gaussian(num_tokens * q_width, 13, 0.5f);
  std::vector<float> out(q.size(), std::nanf(""));

  const float scale = 1.0f / std::sqrt(float(hd));
  KvLayerView kv{kc.data(), vc.data(), kv_dtype, bs, tc.num_kv_heads, hd};
  AttentionBatch batch{num_seqs, query_start.data(), seq_lens.data(), tables.data(), max_blocks};
  backend->attention(q.data(), kv, batch, tc.num_heads, scale, out.data());

  const int64_t group = tc.num_heads / tc.num_kv_heads;
  int failures = 0;
  for (int64_t s = 0; s < num_seqs; ++s) {
    for (int64_t j = 0; j < tc.seqs[s].queries; ++j) {
      const int64_t row = query_start[s] + j;
      const int64_t pos = tc.seqs[s].context - tc.seqs[s].queries + j;
      for (int64_t h = 0; h < tc.num_heads; ++h) {
        const int64_t kvh = h / group;
        auto at = [&](const std::vector<uint8_t>& c, int64_t t, int64_t i) {
          const int64_t slot = int64_t(tables[size_t(s * max_blocks + t / bs)]) * bs + t % bs;
          return cache_value(kv_dtype, c.data() + slot * slot_bytes + (kvh * hd + i) * elem);
        };
        std::vector<double> scores(static_cast<size_t>(pos + 1));
        double mx = -INFINITY;
        for (int64_t t = 0; t <= pos; ++t) {
          double d = 0.0;
          for (int64_t i = 0; i < hd; ++i)
            d += double(q[size_t(row * q_width + h * hd + i)]) * at(kc, t, i);
          scores[t] = d * scale;
          mx = std::max(mx, scores[t]);
        }
        double sum = 0.0;
        for (auto& sc : scores) sum += (sc = std::exp(sc - mx));
        for (int64_t i = 0; i < hd; ++i) {
          double ref = 0.0;
          for (int64_t t = 0; t <= pos; ++t) ref += scores[t] * at(vc, t, i);
          ref /= sum;
          const double got = out[size_t(row * q_width + h * hd + i)];
          if (!(std::fabs(got - ref) <= 2e-5 + 2e-5 * std::fabs(ref)) && ++failures <= 5) {
            ADD_FAILURE() << "seq " << s << " query " << j << " head " << h << " dim " << i << ": "
                          << got << " vs reference " << ref;
          }
        }
      }
    }
  }
}

class AttentionTest : public ::testing::TestWithParam<std::tuple<std::string, DType>> {};

TEST_P(AttentionTest, MixedPrefillAndDecode) {
  const auto& [isa, dtype] = GetParam();
  // Chunked prefill (20 of 70), full prefill (5 of 5), decode (1 of 37), decode at a block edge.
  const AttentionCase tc{{{70, 20}, {5, 5}, {37, 1}, {32, 1}}, 8, 2, 64, 16};
  run_case(isa, 1, tc, dtype);
  run_case(isa, 2, tc, dtype);
}

TEST_P(AttentionTest, LongPrefillManyItems) {
  const auto& [isa, dtype] = GetParam();
  const AttentionCase tc{{{150, 150}, {81, 3}}, 4, 4, 128, 16};
  run_case(isa, 2, tc, dtype);
}

TEST_P(AttentionTest, OddBlockSizeAndHeadDim) {
  const auto& [isa, dtype] = GetParam();
  run_case(isa, 2, AttentionCase{{{45, 9}, {7, 1}}, 6, 3, 32, 5}, dtype);  // 5-token blocks
  run_case(isa, 2, AttentionCase{{{40, 4}}, 2, 1, 12, 64}, dtype);         // head_dim % 8 != 0
  run_case(isa, 2, AttentionCase{{{100, 2}}, 8, 1, 16, 128}, dtype);       // 8 heads per KV head
}

std::string attention_name(const ::testing::TestParamInfo<AttentionTest::ParamType>& info) {
  return std::get<0>(info.param) + "_" + std::string(dtype_name(std::get<1>(info.param)));
}

INSTANTIATE_TEST_SUITE_P(AllIsas, AttentionTest,
                         ::testing::Combine(::testing::ValuesIn(kIsas),
                                            ::testing::Values(DType::kF32, DType::kF16,
                                                              DType::kBF16)),
                         attention_name);

}  // namespace
}  // namespace turbine::testing
