// Portable kernels (any x86-64): the reference every other ISA is tested against, and the fallback.
// Declarations only; cpu_kernels.cpp puts them in the table. Call through CpuKernels.
#pragma once

#include <cstdint>

#include "backend/cpu/kernel_args.h"

namespace turbine::cpu::generic {

void matmul_f32(const MatmulPanel& p);
void matmul_f16(const MatmulPanel& p);
void matmul_bf16(const MatmulPanel& p);
void matmul_q8_0(const MatmulPanel& p);
void matmul_q4_0(const MatmulPanel& p);
void matmul_q4_k(const MatmulPanel& p);
void matmul_q6_k(const MatmulPanel& p);

void quantize_row_q8_0(const float* x, int64_t k, int8_t* qs, float* d);
void quantize_row_q8_k(const float* x, int64_t k, int8_t* qs, float* d, int16_t* bsums);
void dequantize_row(DType t, const void* src, int64_t k, float* y);
void convert_row(DType t, const float* x, int64_t n, void* dst);

void rms_norm(const float* x, const float* w, int64_t rows, int64_t dim, float eps, float* y);
void rope(const RopeArgs& a, int64_t token_begin, int64_t token_end);
void silu_mul(const float* gate, const float* up, int64_t n, float* out);
void add(float* y, const float* x, int64_t n);
void add_bias(float* x, const float* bias, int64_t rows, int64_t dim);

void attention(const AttentionArgs& a, const AttentionItem* items, int64_t num_items,
               float* scratch);

}  // namespace turbine::cpu::generic
