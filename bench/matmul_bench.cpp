// CPU kernel benchmarks on Llama-3.2-1B shapes (hidden 2048, FFN 8192):
//   BM_MemRead       streaming read of a 1 GiB buffer (2 prefetched streams per thread): the
//                    machine's bandwidth roofline
//   BM_Gemv          y[1, 8192] = x * W[8192, 2048]^T, cycling through enough copies of W
//                    to defeat the caches (as decode streams every layer's weights): GB/s of W
//   BM_GemvHot       the GEMV on a 256 KiB weight that stays in L2: the kernel's compute ceiling
//   BM_Gemm          the same W against n = 512 activation rows (a prompt): GFLOP/s = 2 n M K
//   BM_Prepare       prepare_weight of W, the copy into the kernels' layout at model load: GB/s
//   BM_Attention     paged GQA attention, 32 query / 8 KV heads of 64, f16 cache in 16-token
//                    blocks: decode (8 sequences x 1 query, context 1024) and prefill (512
//                    queries, causal); GFLOP/s counts 4 * head_dim flops per (query, key, head);
//                    TB_CTX=n sets the decode context
// Args: thread count. TB_BENCH_ISA=generic|avx2|avx512 forces a kernel set (default auto).
//   build-be/matmul_bench --benchmark_filter=Gemv
#include <benchmark/benchmark.h>
#include <sys/mman.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <random>
#include <span>
#include <string>
#include <vector>

#include "backend/backend.h"
#include "base/dtype.h"
#include "base/half.h"
#include "base/thread_pool.h"

namespace turbine {
namespace {

constexpr int64_t kRows = 8192, kCols = 2048;  // FFN gate/up projection
constexpr int64_t kPromptRows = 512;
constexpr size_t kStreamBytes = size_t(256) << 20;  // weights cycled through by the GEMV

std::unique_ptr<Backend> make_backend(int threads) {
  const char* isa = std::getenv("TB_BENCH_ISA");
  auto r = make_cpu_backend(CpuBackendOptions{threads, isa ? isa : "auto"});
  if (!r.is_ok()) {
    std::fprintf(stderr, "%s\n", r.status().message().c_str());
    std::exit(1);
  }
  return std::move(r).value();
}

// One [kRows, kCols] weight in dtype t with finite, normal-range values everywhere (random
// quants, scales around 1/64), replicated `copies` times.
std::vector<uint8_t> make_weights(DType t, int copies) {
  const int64_t bytes = kRows * row_bytes(t, kCols);
  std::vector<uint8_t> w(size_t(bytes) * size_t(copies));
  std::mt19937 rng(1);
  for (int64_t i = 0; i < bytes; i += 4) {
    const uint32_t r = rng();
    std::memcpy(w.data() + i, &r, 4);
  }
  const auto& tr = dtype_traits(t);
  const uint16_t scale = f32_to_f16(1.0f / 64);
  for (int64_t b = 0; b < bytes / tr.block_bytes; ++b) {
    uint8_t* blk = w.data() + b * tr.block_bytes;
    switch (t) {
      case DType::kF32: {
        const float v = float(int32_t(rng() % 2001) - 1000) / 1000.0f;
        std::memcpy(blk, &v, 4);
        break;
      }
      case DType::kF16: {
        const uint16_t v = f32_to_f16(float(int32_t(rng() % 2001) - 1000) / 1000.0f);
        std::memcpy(blk, &v, 2);
        break;
      }
      case DType::kBF16: {
        const uint16_t v = f32_to_bf16(float(int32_t(rng() % 2001) - 1000) / 1000.0f);
        std::memcpy(blk, &v, 2);
        break;
      }
      case DType::kQ4_0:
      case DType::kQ8_0:
        std::memcpy(blk, &scale, 2);
        break;
      case DType::kQ4_K:
        std::memcpy(blk, &scale, 2);
        std::memcpy(blk + 2, &scale, 2);
        break;
      case DType::kQ6_K:
        std::memcpy(blk + 208, &scale, 2);
        break;
    }
  }
  for (int c = 1; c < copies; ++c)
    std::memcpy(w.data() + size_t(c) * size_t(bytes), w.data(), size_t(bytes));
  return w;
}

std::vector<float> activations(int64_t n) {
  std::vector<float> x(size_t(n * kCols));
  std::mt19937 rng(2);
  std::normal_distribution<float> d(0.0f, 1.0f);
  for (auto& v : x) v = d(rng);
  return x;
}

// Each thread reads its share as two streams at once, each prefetched 1 KiB ahead, as the
// interleaved GEMVs read their weights. On Zen 3 the single unprefetched stream per thread that
// this replaced read at about 0.9x this rate, and the engine's decode read its weights faster
// than that "roofline" (docs/benchmarks.md).
void BM_MemRead(benchmark::State& state) {
  const int threads = int(state.range(0));
  constexpr size_t kBytes = size_t(1) << 30;
  constexpr size_t kLine = 64 / 8;      // uint64_t per cache line
  constexpr size_t kAhead = 1024 / 8;   // prefetch distance in uint64_t
  // On 2 MiB pages where the kernel gives them, as the engine's weights are (prepare_weight
  // advises its copies onto huge pages, and the page cache maps large folios of a GGUF file).
  static const std::span<uint64_t> buf = [] {
    auto* p = static_cast<uint64_t*>(std::aligned_alloc(size_t(2) << 20, kBytes));
    if (p == nullptr) std::abort();
    madvise(p, kBytes, MADV_HUGEPAGE);  // advisory
    std::fill(p, p + kBytes / 8, uint64_t(1));
    return std::span<uint64_t>(p, kBytes / 8);
  }();
  ThreadPool pool(threads);
  std::vector<uint64_t> sums(size_t(threads) * 8);
  for (auto _ : state) {
    pool.run_on_all([&](int t) {
      const size_t half = buf.size() / size_t(threads) / 2;  // a multiple of kLine
      const uint64_t* a = buf.data() + 2 * half * size_t(t);
      const uint64_t* b = a + half;
      uint64_t s0 = 0, s1 = 0, s2 = 0, s3 = 0;
      for (size_t i = 0; i < half; i += kLine) {
        // Integer arithmetic: the last prefetches point past the thread's share.
        __builtin_prefetch(reinterpret_cast<const void*>(uintptr_t(a + i) + kAhead * 8));
        __builtin_prefetch(reinterpret_cast<const void*>(uintptr_t(b + i) + kAhead * 8));
        for (size_t j = 0; j < kLine; j += 2) {
          s0 += a[i + j];
          s1 += a[i + j + 1];
          s2 += b[i + j];
          s3 += b[i + j + 1];
        }
      }
      sums[size_t(t) * 8] = s0 + s1 + s2 + s3;
    });
    benchmark::DoNotOptimize(sums.data());
  }
  state.SetBytesProcessed(int64_t(state.iterations()) * int64_t(kBytes));
}
BENCHMARK(BM_MemRead)->Arg(1)->Arg(2)->UseRealTime()->Unit(benchmark::kMillisecond);

// n activation rows against kRows x kCols weights, cycling through copies of them that together
// exceed the caches, so the weights stream from memory as in decode. `prepare`: each copy as
// the engine holds it (prepare_weight: interleaved where the backend does that); otherwise
// row-major.
void stream_matmul(benchmark::State& state, DType t, int threads, int64_t n, bool prepare) {
  auto backend = make_backend(threads);
  const int64_t bytes = kRows * row_bytes(t, kCols);
  const int copies = int(std::max<int64_t>(1, int64_t(kStreamBytes) / bytes));
  const std::vector<uint8_t> w = make_weights(t, copies);
  const std::vector<float> x = activations(n);
  std::vector<float> y(static_cast<size_t>(n * kRows));
  std::vector<PreparedWeight> views;
  for (int c = 0; c < copies; ++c) {
    const MatrixView view{t, kRows, kCols, w.data() + size_t(c) * size_t(bytes)};
    views.push_back(prepare ? backend->prepare_weight(view).value()
                            : PreparedWeight{view, nullptr});
  }
  int i = 0;
  for (auto _ : state) {
    backend->matmul(views[size_t(i)].view, x.data(), n, y.data());
    benchmark::DoNotOptimize(y.data());
    i = (i + 1) % copies;
  }
  state.SetBytesProcessed(int64_t(state.iterations()) * bytes);
  state.SetLabel(backend->name());
}

void BM_Gemv(benchmark::State& state, DType t) {
  stream_matmul(state, t, int(state.range(0)), 1, true);
}

// Batched decode: args {threads, n, prepared (1) or row-major (0)}, so that the interleaved
// tiles for a few activation rows are measured against the row-major ones in one run (and
// where each hands over to its GEMM).
void BM_GemvBatch(benchmark::State& state, DType t) {
  stream_matmul(state, t, int(state.range(0)), state.range(1), state.range(2) != 0);
}

void BM_GemvHot(benchmark::State& state, DType t) {
  auto backend = make_backend(int(state.range(0)));
  const std::vector<uint8_t> w = make_weights(t, 1);
  // A multiple of 8, so the backend may interleave it as it does the model's matrices.
  const int64_t rows = std::max<int64_t>(8, (int64_t(256) << 10) / row_bytes(t, kCols) / 8 * 8);
  const std::vector<float> x = activations(1);
  std::vector<float> y(static_cast<size_t>(rows));
  const PreparedWeight prepared =
      backend->prepare_weight(MatrixView{t, rows, kCols, w.data()}).value();
  for (auto _ : state) {
    backend->matmul(prepared.view, x.data(), 1, y.data());
    benchmark::DoNotOptimize(y.data());
  }
  state.SetBytesProcessed(int64_t(state.iterations()) * prepared.view.num_bytes());
  state.SetLabel(backend->name());
}

// Model load: prepare_weight (the interleaving copy) of one [8192, 2048] weight, GB/s of it.
// Args: threads.
void BM_Prepare(benchmark::State& state, DType t) {
  auto backend = make_backend(int(state.range(0)));
  const std::vector<uint8_t> w = make_weights(t, 1);
  for (auto _ : state) {
    PreparedWeight prepared =
        backend->prepare_weight(MatrixView{t, kRows, kCols, w.data()}).value();
    benchmark::DoNotOptimize(prepared.view.data);
  }
  state.SetBytesProcessed(int64_t(state.iterations()) * kRows * row_bytes(t, kCols));
  state.SetLabel(backend->name());
}

void BM_Gemm(benchmark::State& state, DType t) {
  auto backend = make_backend(int(state.range(0)));
  const std::vector<uint8_t> w = make_weights(t, 1);
  const std::vector<float> x = activations(kPromptRows);
  std::vector<float> y(size_t(kPromptRows * kRows));
  const PreparedWeight prepared =
      backend->prepare_weight(MatrixView{t, kRows, kCols, w.data()}).value();
  for (auto _ : state) {
    backend->matmul(prepared.view, x.data(), kPromptRows, y.data());
    benchmark::DoNotOptimize(y.data());
  }
  const double flops = 2.0 * double(kPromptRows) * double(kRows) * double(kCols);
  state.counters["GFLOP/s"] =
      benchmark::Counter(flops * double(state.iterations()) / 1e9, benchmark::Counter::kIsRate);
  state.SetLabel(backend->name());
}

void BM_Attention(benchmark::State& state, bool prefill) {
  auto backend = make_backend(int(state.range(0)));
  constexpr int64_t kHeads = 32, kKvHeads = 8, kHeadDim = 64, kBlock = 16;
  const int64_t num_seqs = prefill ? 1 : 8,
                context = prefill
                              ? 512
                              : (std::getenv("TB_CTX") ? std::atoi(std::getenv("TB_CTX")) : 1024);
  const int64_t queries = prefill ? context : 1;
  const int64_t blocks_per_seq = context / kBlock;
  // The cache comes from backend->alloc, as the engine's does (huge pages).
  const size_t cache_elems = size_t(num_seqs * context * kKvHeads * kHeadDim);
  auto* kc = static_cast<uint16_t*>(backend->alloc(cache_elems * 2));
  auto* vc = static_cast<uint16_t*>(backend->alloc(cache_elems * 2));
  std::mt19937 rng(3);
  for (size_t i = 0; i < cache_elems; ++i)
    kc[i] = vc[i] = f32_to_f16(float(int32_t(rng() % 2001) - 1000) / 1000.0f);
  std::vector<int32_t> tables(size_t(num_seqs * blocks_per_seq));
  for (size_t i = 0; i < tables.size(); ++i)
    tables[i] = int32_t((i * 7) % tables.size());  // scattered
  std::vector<int32_t> query_start(size_t(num_seqs + 1)),
      seq_lens(static_cast<size_t>(num_seqs), static_cast<int32_t>(context));
  for (int64_t s = 0; s <= num_seqs; ++s) query_start[size_t(s)] = int32_t(s * queries);
  std::vector<float> q(size_t(num_seqs * queries * kHeads * kHeadDim), 0.1f), out(q.size());
  const KvLayerView kv{kc, vc, DType::kF16, kBlock, kKvHeads, kHeadDim};
  const AttentionBatch batch{num_seqs, query_start.data(), seq_lens.data(), tables.data(),
                             blocks_per_seq};
  for (auto _ : state) {
    backend->attention(q.data(), kv, batch, kHeads, 0.125f, out.data());
    benchmark::DoNotOptimize(out.data());
  }
  // Keys attended per query: the whole context for decode, (pos + 1) for a causal prefill.
  const double keys =
      prefill ? double(context) * double(context + 1) / 2.0 : double(num_seqs * context);
  const double flops = 4.0 * double(kHeadDim) * double(kHeads) * keys;
  state.counters["GFLOP/s"] =
      benchmark::Counter(flops * double(state.iterations()) / 1e9, benchmark::Counter::kIsRate);
  state.SetLabel(backend->name());
  backend->free(kc);
  backend->free(vc);
}
BENCHMARK_CAPTURE(BM_Attention, decode, false)
    ->Arg(1)
    ->Arg(2)
    ->UseRealTime()
    ->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_Attention, prefill, true)
    ->Arg(1)
    ->Arg(2)
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);

#define TB_MATMUL_BENCH(name, dtype)         \
  BENCHMARK_CAPTURE(BM_Gemv, name, dtype)    \
      ->Arg(1)                               \
      ->Arg(2)                               \
      ->UseRealTime()                        \
      ->Unit(benchmark::kMicrosecond);       \
  BENCHMARK_CAPTURE(BM_GemvHot, name, dtype) \
      ->Arg(1)                               \
      ->UseRealTime()                        \
      ->Unit(benchmark::kMicrosecond);       \
  BENCHMARK_CAPTURE(BM_Gemm, name, dtype)    \
      ->Arg(1)                               \
      ->Arg(2)                               \
      ->UseRealTime()                        \
      ->Unit(benchmark::kMillisecond)

#define TB_PREPARE_BENCH(name, dtype)      \
  BENCHMARK_CAPTURE(BM_Prepare, name, dtype) \
      ->Arg(1)                               \
      ->Arg(2)                               \
      ->UseRealTime()                        \
      ->Unit(benchmark::kMillisecond)

#define TB_BATCH_BENCH(name, dtype)                                 \
  BENCHMARK_CAPTURE(BM_GemvBatch, name, dtype)                      \
      ->ArgsProduct({{1}, {2, 3, 4, 8, 12, 16}, {0, 1}})            \
      ->UseRealTime()                                               \
      ->Unit(benchmark::kMicrosecond)

TB_PREPARE_BENCH(q4_0, DType::kQ4_0);
TB_PREPARE_BENCH(q8_0, DType::kQ8_0);
TB_PREPARE_BENCH(q4_K, DType::kQ4_K);
TB_PREPARE_BENCH(q6_K, DType::kQ6_K);

TB_BATCH_BENCH(q4_0, DType::kQ4_0);
TB_BATCH_BENCH(q8_0, DType::kQ8_0);
TB_BATCH_BENCH(q4_K, DType::kQ4_K);
TB_BATCH_BENCH(q6_K, DType::kQ6_K);

TB_MATMUL_BENCH(q4_0, DType::kQ4_0);
TB_MATMUL_BENCH(q8_0, DType::kQ8_0);
TB_MATMUL_BENCH(q4_K, DType::kQ4_K);
TB_MATMUL_BENCH(q6_K, DType::kQ6_K);
TB_MATMUL_BENCH(f16, DType::kF16);
TB_MATMUL_BENCH(bf16, DType::kBF16);
TB_MATMUL_BENCH(f32, DType::kF32);

}  // namespace
}  // namespace turbine

BENCHMARK_MAIN();
