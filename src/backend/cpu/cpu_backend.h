// The CPU implementation of Backend: checks each op's arguments, splits the work over a
// ThreadPool and calls the kernel set chosen for this CPU (cpu_kernels.h). Only the engine
// thread that owns it may call it (it reuses scratch buffers between ops).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "backend/backend.h"
#include "backend/cpu/cpu_kernels.h"
#include "backend/cpu/scratch_buffer.h"
#include "base/thread_pool.h"

namespace turbine::cpu {

class CpuBackend final : public Backend {
 public:
  CpuBackend(Isa isa, int num_threads);

  std::string name() const override;
  void* alloc(size_t bytes) override;
  void free(void* p) override;
  void copy(void* dst, const void* src, size_t bytes) override;

  // Interleaves Q4_0, Q8_0, Q4_K and Q6_K matrices whose rows are a multiple of 8 when this ISA
  // has kernels for it (interleaved8.h); every other matrix is returned as it is.
  Result<PreparedWeight> prepare_weight(const MatrixView& w) override;
  void matmul(const MatrixView& w, const float* x, int64_t n, float* y) override;  // matmul.cpp
  void get_rows(const MatrixView& w, const int32_t* ids, int64_t n, float* y) override;
  void rms_norm(const float* x, const float* weight, int64_t n, int64_t dim, float eps,
                float* y) override;
  void rope(float* x, const int32_t* positions, int64_t n, int64_t num_heads, int64_t head_dim,
            const float* inv_freq, RopeStyle style) override;
  void silu_mul(const float* gate, const float* up, int64_t n, float* out) override;
  void add(float* y, const float* x, int64_t n) override;
  void add_bias(float* x, const float* bias, int64_t n, int64_t dim) override;
  void store_kv(const KvLayerView& kv, const float* k, const float* v, const int32_t* slots,
                int64_t n) override;
  void attention(const float* q, const KvLayerView& kv, const AttentionBatch& batch,
                 int64_t num_heads, float scale, float* out) override;  // attention.cpp

  Isa isa() const { return kernels_.isa; }
  int num_threads() const { return pool_.num_threads(); }

 private:
  // Fills p's activation fields in the form the kernel wants (quantizing into act_scratch_).
  void prepare_activations(const MatmulKernel& kernel, const float* x, int64_t n, int64_t k,
                           MatmulPanel* p);
  // Runs fn(begin, end) over [0, n) on the pool when the work is worth a parallel region.
  template <class Fn>
  void maybe_parallel(int64_t n, int64_t grain, int64_t work, Fn&& fn);

  const CpuKernels& kernels_;
  ThreadPool pool_;
  ScratchBuffer act_scratch_;        // quantized / bf16 activations of the current matmul
  ScratchBuffer matmul_scratch_;     // per-thread repacked weights
  ScratchBuffer attention_scratch_;  // per-thread attention tiles
  std::vector<AttentionItem> attention_items_;
};

// Ops whose total work (elements touched) is below this run on the calling thread alone:
// a parallel region costs a few microseconds.
constexpr int64_t kParallelMinWork = 1 << 15;

template <class Fn>
void CpuBackend::maybe_parallel(int64_t n, int64_t grain, int64_t work, Fn&& fn) {
  if (n <= 0) return;
  if (pool_.num_threads() == 1 || work < kParallelMinWork || n <= grain) {
    fn(int64_t(0), n);
    return;
  }
  pool_.parallel_for(n, grain, fn);
}

}  // namespace turbine::cpu
