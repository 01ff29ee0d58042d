// AVX2 + FMA + F16C kernels (files *_avx2.cpp).
// Declarations only; cpu_kernels.cpp puts them in the table. Call through CpuKernels.
#pragma once

#include <cstdint>

#include "backend/cpu/kernel_args.h"

namespace turbine::cpu::avx2 {

void matmul_f32(const MatmulPanel& p);
void matmul_f16(const MatmulPanel& p);
void matmul_bf16(const MatmulPanel& p);
void matmul_q8_0(const MatmulPanel& p);
void matmul_q4_0(const MatmulPanel& p);
void matmul_q4_k(const MatmulPanel& p);
void matmul_q6_k(const MatmulPanel& p);
// Q4_0 / Q8_0 in MatrixLayout::kInterleaved8 (matmul_interleaved8.h); the Q4_0 panel
// reads p.xq.block_qsums, and splits its nibbles into the driver's scratch when it has some
// (q4_0_x8_scratch_bytes(rows, k, n) > 0: a GEMM).
int64_t q4_0_x8_scratch_bytes(int64_t rows, int64_t k, int64_t n);
void matmul_q4_0_x8(const MatmulPanel& p);
void matmul_q8_0_x8(const MatmulPanel& p);
// Q4_K / Q6_K in MatrixLayout::kInterleaved8 (matmul_kquant_x8_avx2.cpp); with the driver's
// scratch (gemm_kquant_x8_scratch_bytes > 0) they repack for the GEMM below.
void matmul_q4_k_x8(const MatmulPanel& p);
void matmul_q6_k_x8(const MatmulPanel& p);

// Repacked int8 GEMM (matmul_q8_gemm_avx2.cpp): the Q4_0 / Q8_0 panels hand over to it when
// the driver supplied scratch, i.e. when gemm_q8_scratch_bytes(rows, k, n) > 0.
int64_t gemm_q8_scratch_bytes(int64_t rows, int64_t k, int64_t n);
void gemm_q4_0(const MatmulPanel& p);  // reads p.xq.block_sums
void gemm_q8_0(const MatmulPanel& p);
// Likewise for Q4_K / Q6_K (matmul_kquant_gemm_avx2.cpp).
int64_t gemm_kquant_scratch_bytes(int64_t rows, int64_t k, int64_t n);
int64_t gemm_kquant_x8_scratch_bytes(int64_t rows, int64_t k, int64_t n);  // from 12 rows
void gemm_q4_k(const MatmulPanel& p);
void gemm_q6_k(const MatmulPanel& p);
void gemm_q4_k_x8(const MatmulPanel& p);  // the weights in MatrixLayout::kInterleaved8
void gemm_q6_k_x8(const MatmulPanel& p);

void quantize_row_q8_0(const float* x, int64_t k, int8_t* qs, float* d);
void quantize_row_q8_k(const float* x, int64_t k, int8_t* qs, float* d, int16_t* bsums);
void convert_row(DType t, const float* x, int64_t n, void* dst);

void rms_norm(const float* x, const float* w, int64_t rows, int64_t dim, float eps, float* y);
void rope(const RopeArgs& a, int64_t token_begin, int64_t token_end);
void silu_mul(const float* gate, const float* up, int64_t n, float* out);
void add(float* y, const float* x, int64_t n);
void add_bias(float* x, const float* bias, int64_t rows, int64_t dim);

void attention(const AttentionArgs& a, const AttentionItem* items, int64_t num_items,
               float* scratch);

}  // namespace turbine::cpu::avx2
