// Paged causal grouped-query attention per ISA against a naive reference: several sequences
// of different context and query lengths (prefill, chunked prefill, decode) in one batch,
// block tables that scatter each sequence over non-contiguous physical blocks, f32 / f16 /
// bf16 / q8_0 caches. Tolerance: 2e-5 + 2e-5 * |ref| (the reference reads the same cache
// elements, so only the summation order and the vector exp differ). Then a q8_0 cache against
// an f32 cache written by store_kv from the same floats, where int8 rounding adds error.
#include <algorithm>
#include <cmath>
#include <numeric>

#include "backend_test_util.h"

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

// A case's batch: every sequence's logical blocks map to a shuffled set of physical blocks,
// with unused blocks in between.
struct PagedBatch {
  int64_t num_seqs = 0, max_blocks = 0, num_slots = 0;
  std::vector<int32_t> tables;       // [num_seqs, max_blocks]
  std::vector<int32_t> query_start;  // [num_seqs + 1]
  std::vector<int32_t> seq_lens;     // [num_seqs]

  AttentionBatch view() const {
    return {num_seqs, query_start.data(), seq_lens.data(), tables.data(), max_blocks};
  }
  int64_t num_tokens() const { return query_start.back(); }
  int64_t slot(int64_t s, int64_t t, int64_t bs) const {
    return int64_t(tables[size_t(s * max_blocks + t / bs)]) * bs + t % bs;
  }
};

PagedBatch make_batch(const AttentionCase& tc) {
  PagedBatch b;
  const int64_t bs = tc.block_size;
  b.num_seqs = int64_t(tc.seqs.size());
  int64_t total_blocks = 0;
  for (const auto& s : tc.seqs) {
    b.max_blocks = std::max<int64_t>(b.max_blocks, (s.context + bs - 1) / bs);
    total_blocks += (s.context + bs - 1) / bs;
  }
  total_blocks += 3;  // unused blocks in between
  b.num_slots = total_blocks * bs;
  std::vector<int32_t> physical(static_cast<size_t>(total_blocks));
  std::iota(physical.begin(), physical.end(), 0);
  std::shuffle(physical.begin(), physical.end(), std::mt19937(42));
  b.tables.assign(size_t(b.num_seqs * b.max_blocks), -1);
  size_t next = 0;
  for (int64_t s = 0; s < b.num_seqs; ++s)
    for (int64_t blk = 0; blk < (tc.seqs[s].context + bs - 1) / bs; ++blk)
      b.tables[size_t(s * b.max_blocks + blk)] = physical[next++];
  b.query_start.assign(size_t(b.num_seqs + 1), 0);
  b.seq_lens.resize(size_t(b.num_seqs));
  for (int64_t s = 0; s < b.num_seqs; ++s) {
    b.query_start[s + 1] = b.query_start[s] + tc.seqs[s].queries;
    b.seq_lens[s] = tc.seqs[s].context;
  }
  return b;
}

void run_case(const std::string& isa, int threads, const AttentionCase& tc, DType kv_dtype) {
  TB_BACKEND_OR_SKIP(backend, isa, threads);
  const PagedBatch pb = make_batch(tc);
  const int64_t hd = tc.head_dim, bs = tc.block_size;
  const int64_t slot_elems = tc.num_kv_heads * hd;

  // Caches encoded by model/quantize.h, and the values they hold (what the reference reads).
  const int64_t num_elems = pb.num_slots * slot_elems;
  std::vector<uint8_t> kc(static_cast<size_t>(row_bytes(kv_dtype, num_elems))), vc(kc.size());
  std::vector<float> k_held(static_cast<size_t>(num_elems)), v_held(k_held.size());
  quantize_row(kv_dtype, gaussian(num_elems, 11).data(), num_elems, kc.data());
  quantize_row(kv_dtype, gaussian(num_elems, 12).data(), num_elems, vc.data());
  dequantize_row(kv_dtype, kc.data(), num_elems, k_held.data());
  dequantize_row(kv_dtype, vc.data(), num_elems, v_held.data());

  const int64_t q_width = tc.num_heads * hd;
  const std::vector<float> q = gaussian(pb.num_tokens() * q_width, 13, 0.5f);
  std::vector<float> out(q.size(), std::nanf(""));

  const float scale = 1.0f / std::sqrt(float(hd));
  KvLayerView kv{kc.data(), vc.data(), kv_dtype, bs, tc.num_kv_heads, hd};
  backend->attention(q.data(), kv, pb.view(), tc.num_heads, scale, out.data());

  const int64_t group = tc.num_heads / tc.num_kv_heads;
  int failures = 0;
  for (int64_t s = 0; s < pb.num_seqs; ++s) {
    for (int64_t j = 0; j < tc.seqs[s].queries; ++j) {
      const int64_t row = pb.query_start[s] + j;
      const int64_t pos = tc.seqs[s].context - tc.seqs[s].queries + j;
      for (int64_t h = 0; h < tc.num_heads; ++h) {
        const int64_t kvh = h / group;
        auto at = [&](const std::vector<float>& held, int64_t t, int64_t i) {
          return held[size_t(pb.slot(s, t, bs) * slot_elems + kvh * hd + i)];
        };
        std::vector<double> scores(static_cast<size_t>(pos + 1));
        double mx = -INFINITY;
        for (int64_t t = 0; t <= pos; ++t) {
          double d = 0.0;
          for (int64_t i = 0; i < hd; ++i)
            d += double(q[size_t(row * q_width + h * hd + i)]) * at(k_held, t, i);
          scores[t] = d * scale;
          mx = std::max(mx, scores[t]);
        }
        double sum = 0.0;
        for (auto& sc : scores) sum += (sc = std::exp(sc - mx));
        for (int64_t i = 0; i < hd; ++i) {
          double ref = 0.0;
          for (int64_t t = 0; t <= pos; ++t) ref += scores[t] * at(v_held, t, i);
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
  if (dtype == DType::kQ8_0) return;  // head_dim 12 and 16 are not whole q8_0 blocks
  run_case(isa, 2, AttentionCase{{{40, 4}}, 2, 1, 12, 64}, dtype);         // head_dim % 8 != 0
  run_case(isa, 2, AttentionCase{{{100, 2}}, 8, 1, 16, 128}, dtype);       // 8 heads per KV head
}

std::string attention_name(const ::testing::TestParamInfo<AttentionTest::ParamType>& info) {
  return std::get<0>(info.param) + "_" + std::string(dtype_name(std::get<1>(info.param)));
}

INSTANTIATE_TEST_SUITE_P(AllIsas, AttentionTest,
                         ::testing::Combine(::testing::ValuesIn(kIsas),
                                            ::testing::Values(DType::kF32, DType::kF16,
                                                              DType::kBF16, DType::kQ8_0)),
                         attention_name);

// Attention over a q8_0 cache and over an f32 cache, both filled by store_kv from the same
// N(0, 1) K and V; out[...] for each case's query rows.
struct Q8_0Deviation {
  double max_abs = 0, mean_abs = 0;
};

Q8_0Deviation q8_0_against_f32(Backend& backend, const AttentionCase& tc) {
  const PagedBatch pb = make_batch(tc);
  const int64_t row = tc.num_kv_heads * tc.head_dim;
  const std::vector<float> k = gaussian(pb.num_slots * row, 21), v = gaussian(pb.num_slots * row, 22);
  std::vector<int32_t> slots(static_cast<size_t>(pb.num_slots));
  std::iota(slots.begin(), slots.end(), 0);
  const int64_t q_width = tc.num_heads * tc.head_dim;
  const std::vector<float> q = gaussian(pb.num_tokens() * q_width, 23, 0.5f);
  const float scale = 1.0f / std::sqrt(float(tc.head_dim));

  std::vector<float> out[2];
  const DType dtypes[2] = {DType::kF32, DType::kQ8_0};
  for (int i = 0; i < 2; ++i) {
    std::vector<uint8_t> kc(size_t(pb.num_slots * row_bytes(dtypes[i], row))), vc(kc.size());
    const KvLayerView kv{kc.data(), vc.data(), dtypes[i], tc.block_size, tc.num_kv_heads,
                         tc.head_dim};
    backend.store_kv(kv, k.data(), v.data(), slots.data(), pb.num_slots);
    out[i].assign(q.size(), std::nanf(""));
    backend.attention(q.data(), kv, pb.view(), tc.num_heads, scale, out[i].data());
  }
  Q8_0Deviation d;
  for (size_t i = 0; i < q.size(); ++i) {
    const double e = std::fabs(double(out[1][i]) - out[0][i]);
    d.max_abs = std::max(d.max_abs, std::isnan(e) ? INFINITY : e);
    d.mean_abs += e / double(q.size());
  }
  return d;
}

class AttentionQ8_0Test : public ::testing::TestWithParam<std::string> {};

// Tolerance. Rounding moves each K and V element by at most half a quant step, absmax / 254
// of its 32-element block (<= 5 / 254 = 0.02 for N(0, 1) data; a quarter step, ~0.005, on
// average). An output is a convex combination of V rows, so V's rounding moves it by at most
// that; K's moves each score by scale * q . dK (about 1.5e-3 rms for q ~ N(0, 0.25)),
// reweighting the rows by as little. Measured: max 0.0066-0.0125, mean 0.0008-0.0011;
// bounds: max 0.03 (the worst case above plus the K term), mean 0.003.
TEST_P(AttentionQ8_0Test, StaysCloseToF32Cache) {
  TB_BACKEND_OR_SKIP(backend, GetParam(), 2);
  for (const AttentionCase& tc : {AttentionCase{{{70, 20}, {5, 5}, {37, 1}, {32, 1}}, 8, 2, 64, 16},
                                  AttentionCase{{{150, 150}, {81, 3}}, 4, 4, 128, 16},
                                  AttentionCase{{{45, 9}, {7, 1}}, 6, 3, 32, 5}}) {
    const Q8_0Deviation d = q8_0_against_f32(*backend, tc);
    EXPECT_LE(d.max_abs, 0.03) << "head_dim " << tc.head_dim;
    EXPECT_LE(d.mean_abs, 0.003) << "head_dim " << tc.head_dim;
  }
}

INSTANTIATE_TEST_SUITE_P(AllIsas, AttentionQ8_0Test, ::testing::ValuesIn(kIsas),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace turbine::testing
