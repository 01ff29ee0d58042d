// The table of CPU kernels for one instruction set, chosen once when the backend is made. Each
// ISA's kernels live in files named *_generic.cpp, *_avx2.cpp and *_avx512.cpp (compiled with
// that ISA's flags); an ISA without its own version of an op gets the next lower one.
// Kernels are pure functions of their arguments; any thread may call them.
#pragma once

#include <cstdint>

#include "backend/cpu/cpu_features.h"
#include "backend/cpu/kernel_args.h"
#include "base/dtype.h"
#include "base/matrix_view.h"

namespace turbine::cpu {

using MatmulPanelFn = void (*)(const MatmulPanel&);

struct MatmulKernel {
  ActFormat act = ActFormat::kF32;
  MatmulPanelFn panel = nullptr;
  // Whether the panel reads QuantizedRows::block_sums (q8_0 activations only).
  bool block_sums = false;
  // Per-thread scratch a panel of `rows` weight rows needs (null: none).
  int64_t (*scratch_bytes)(int64_t rows, int64_t k, int64_t n) = nullptr;
  // Panels hold a multiple of this many weight rows (but the last).
  int64_t row_multiple = 4;
};

struct CpuKernels {
  Isa isa = Isa::kGeneric;

  MatmulKernel matmul_f32, matmul_f16, matmul_bf16;
  MatmulKernel matmul_q8_0, matmul_q4_0, matmul_q4_k, matmul_q6_k;
  // Weights in MatrixLayout::kInterleaved8 (interleaved8.h). panel null: this ISA does not
  // interleave that type, and CpuBackend::prepare_weight leaves it row-major.
  MatmulKernel matmul_q4_0_x8, matmul_q8_0_x8, matmul_q4_k_x8, matmul_q6_k_x8;
  // The kernel for (t, layout); null panel when there is none (only an interleaved layout lacks
  // one).
  const MatmulKernel& matmul(DType t, MatrixLayout layout = MatrixLayout::kRowMajor) const;

  // One row of k floats -> quantized activations (see QuantizedRows); k a multiple of 32 / 256.
  void (*quantize_row_q8_0)(const float* x, int64_t k, int8_t* qs, float* d) = nullptr;
  void (*quantize_row_q8_k)(const float* x, int64_t k, int8_t* qs, float* d,
                            int16_t* bsums) = nullptr;
  // One row of k elements of type t -> f32 (get_rows).
  void (*dequantize_row)(DType t, const void* src, int64_t k, float* y) = nullptr;
  // n f32 -> row_bytes(t, n) bytes of f32, f16, bf16 or q8_0 (store_kv), rounded as
  // Backend::store_kv says; q8_0 needs n % 32 == 0.
  void (*convert_row)(DType t, const float* x, int64_t n, void* dst) = nullptr;

  // rows of `dim`: y = x / rms(x) * w; y may equal x.
  void (*rms_norm)(const float* x, const float* w, int64_t rows, int64_t dim, float eps,
                   float* y) = nullptr;
  void (*rope)(const RopeArgs& a, int64_t token_begin, int64_t token_end) = nullptr;
  void (*silu_mul)(const float* gate, const float* up, int64_t n, float* out) = nullptr;
  void (*add)(float* y, const float* x, int64_t n) = nullptr;
  void (*add_bias)(float* x, const float* bias, int64_t rows, int64_t dim) = nullptr;

  // Items [0, num_items); scratch: attention_scratch_floats(a, max rows of these items) floats,
  // 64-byte aligned, private to the calling thread.
  void (*attention)(const AttentionArgs& a, const AttentionItem* items, int64_t num_items,
                    float* scratch) = nullptr;
};

// Floats of per-thread scratch an attention kernel needs for items of up to max_item_rows rows.
inline int64_t attention_scratch_floats(const AttentionArgs& a, int64_t max_item_rows) {
  const int64_t num_queries = max_item_rows * (a.num_heads / a.num_kv_heads);
  return 2 * kAttentionTileTokens * a.head_dim  // K and V tile as f32
         + num_queries * (2 * a.head_dim + 2)   // scaled q, acc, running max and sum
         + 64;                                  // alignment slack
}

// Precondition: cpu_supports(isa).
const CpuKernels& cpu_kernels(Isa isa);

}  // namespace turbine::cpu
