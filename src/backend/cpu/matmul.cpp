// CpuBackend::matmul: y[n, M] = x[n, K] * w[M, K]^T for every weight type.
//
// 1. Activations are converted once into the form the kernel set wants (q8_0 / q8_k quants,
//    bf16, or left as f32) in a scratch buffer all threads read.
// 2. The weight rows are cut into blocks of about kBlockBytes (so a block stays in L2 while
//    the kernel sweeps all n activation rows past it in register tiles) and the blocks are
//    handed out to the threads one at a time. Kernels that repack a block's weights (the AVX2
//    int8 GEMM) get a per-thread scratch for it. Parallelism is always over output rows, never
//    over tokens: for a GEMV every thread streams its own part of the weights.
#include <algorithm>
#include <atomic>

#include "backend/cpu/cpu_backend.h"
#include "base/check.h"
#include "base/half.h"

namespace turbine::cpu {
namespace {

constexpr int64_t kBlockBytes = 128 * 1024;

int64_t round_up(int64_t v, int64_t m) { return (v + m - 1) / m * m; }

// Rows per work block: about kBlockBytes of weights, a multiple of `multiple` (the kernel's
// row tile), and small enough that every thread gets several blocks.
int64_t block_rows(int64_t rows, int64_t row_bytes, int num_threads, int64_t multiple) {
  const int64_t r = std::max<int64_t>(multiple, kBlockBytes / row_bytes / multiple * multiple);
  const int64_t per_thread = round_up((rows + 4 * num_threads - 1) / (4 * num_threads), multiple);
  return std::max<int64_t>(multiple, std::min(r, per_thread));
}

}  // namespace

void CpuBackend::prepare_activations(const MatmulKernel& kernel, const float* x, int64_t n,
                                     int64_t k, MatmulPanel* p) {
  const ActFormat act = kernel.act;
  p->x = x;
  if (act == ActFormat::kF32) return;
  const int64_t work = n * k;
  if (act == ActFormat::kBF16) {
    auto* xb = static_cast<uint16_t*>(act_scratch_.get(size_t(n * k) * 2));
    maybe_parallel(n, 1, work, [&](int64_t b, int64_t e) {
      for (int64_t i = b * k; i < e * k; ++i) xb[i] = f32_to_bf16(x[i]);
    });
    p->x_bf16 = xb;
    return;
  }
  const bool k_quants = act == ActFormat::kQ8_K;
  const int64_t block = k_quants ? kQK_K : kQK;
  const size_t qs_bytes = align64(size_t(n * k));
  const size_t d_bytes = align64(size_t(n * (k / block)) * 4);
  const size_t bsums_bytes = k_quants ? align64(size_t(n * (k / 16)) * 2) : 0;
  const size_t sums_bytes = kernel.block_sums ? align64(size_t(n * (k / block) + 4) * 4) : 0;
  auto* base = static_cast<uint8_t*>(
      act_scratch_.get(qs_bytes + d_bytes + bsums_bytes + 2 * sums_bytes));
  auto* qs = reinterpret_cast<int8_t*>(base);
  auto* d = reinterpret_cast<float*>(base + qs_bytes);
  auto* bsums = k_quants ? reinterpret_cast<int16_t*>(base + qs_bytes + d_bytes) : nullptr;
  auto* sums = kernel.block_sums ? reinterpret_cast<float*>(base + qs_bytes + d_bytes + bsums_bytes)
                                 : nullptr;
  auto* qsums = sums ? reinterpret_cast<int32_t*>(reinterpret_cast<uint8_t*>(sums) + sums_bytes)
                     : nullptr;
  maybe_parallel(n, 1, work, [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i) {
      if (k_quants) {
        kernels_.quantize_row_q8_k(x + i * k, k, qs + i * k, d + i * (k / block),
                                   bsums + i * (k / 16));
      } else {
        kernels_.quantize_row_q8_0(x + i * k, k, qs + i * k, d + i * (k / block));
        if (sums) {
          for (int64_t b = 0; b < k / block; ++b) {
            int32_t s = 0;
            for (int64_t j = 0; j < block; ++j) s += qs[i * k + b * block + j];
            sums[b * n + i] = d[i * (k / block) + b] * float(s);
            qsums[b * n + i] = s;
          }
        }
      }
    }
  });
  for (int64_t i = 0; sums && i < 4; ++i) {  // padding
    sums[n * (k / block) + i] = 0.0f;
    qsums[n * (k / block) + i] = 0;
  }
  p->xq = QuantizedRows{qs, d, bsums, sums, qsums};
}

void CpuBackend::matmul(const MatrixView& w, const float* x, int64_t n, float* y) {
  TB_CHECK(w.data != nullptr && x != nullptr && y != nullptr && n >= 0 && w.rows >= 0);
  const int64_t block_elems = dtype_traits(w.dtype).block_elems;
  TB_CHECK(w.cols > 0 && w.cols % block_elems == 0,
           "matmul: cols must be a positive multiple of the weight's block size");
  if (n == 0 || w.rows == 0) return;

  TB_CHECK(w.layout == MatrixLayout::kRowMajor || w.rows % 8 == 0,
           "matmul: an interleaved matrix has whole groups of 8 rows");
  const MatmulKernel& kernel = kernels_.matmul(w.dtype, w.layout);
  TB_CHECK(kernel.panel != nullptr, "matmul: no kernel for this interleaved weight type");
  MatmulPanel p;
  p.w_stride = w.row_stride_bytes();
  p.k = w.cols;
  p.n = n;
  p.ldy = w.rows;
  prepare_activations(kernel, x, n, w.cols, &p);

  const auto* base = static_cast<const uint8_t*>(w.data);
  const int64_t rows_per_block =
      block_rows(w.rows, p.w_stride, pool_.num_threads(), kernel.row_multiple);
  const int64_t num_blocks = (w.rows + rows_per_block - 1) / rows_per_block;
  const int64_t scratch_bytes =
      kernel.scratch_bytes
          ? int64_t(align64(size_t(kernel.scratch_bytes(rows_per_block, w.cols, n))))
          : 0;
  auto* scratch =
      scratch_bytes > 0
          ? static_cast<uint8_t*>(matmul_scratch_.get(size_t(scratch_bytes * pool_.num_threads())))
          : nullptr;
  auto run_block = [&](int64_t b, int thread) {
    MatmulPanel q = p;
    const int64_t r0 = b * rows_per_block;
    q.w = base + r0 * p.w_stride;
    q.num_rows = std::min(rows_per_block, w.rows - r0);
    q.y = y + r0;
    q.scratch = scratch ? scratch + thread * scratch_bytes : nullptr;
    kernel.panel(q);
  };
  // A matmul below this many weight bytes x rows is not worth waking the pool for.
  if (pool_.num_threads() == 1 || num_blocks == 1 || w.num_bytes() * n < 64 * 1024) {
    for (int64_t b = 0; b < num_blocks; ++b) run_block(b, 0);
    return;
  }
  std::atomic<int64_t> next{0};
  pool_.run_on_all([&](int thread) {
    for (int64_t b; (b = next.fetch_add(1, std::memory_order_relaxed)) < num_blocks;) {
      run_block(b, thread);
    }
  });
}

}  // namespace turbine::cpu
