// AVX-512 F/BW/VL/DQ + VNNI + BF16 kernels (files *_avx512.cpp): the quantized and half-precision
// matmuls; other ops use the AVX2 ones. Declarations only; cpu_kernels.cpp puts them in the table.
// Call through CpuKernels.
#pragma once

#include <cstdint>

#include "backend/cpu/kernel_args.h"

namespace turbine::cpu::avx512 {

void matmul_f16(const MatmulPanel& p);
void matmul_bf16(const MatmulPanel& p);  // reads p.x_bf16 (dpbf16: activations rounded to bf16)
void matmul_q8_0(const MatmulPanel& p);
void matmul_q4_0(const MatmulPanel& p);
void matmul_q4_k(const MatmulPanel& p);
void matmul_q6_k(const MatmulPanel& p);
// Q4_0 / Q8_0 in MatrixLayout::kInterleaved8 (matmul_interleaved8.h) with VNNI dot products;
// the same contract as avx2::matmul_q4_0_x8 / matmul_q8_0_x8, scratch included.
void matmul_q4_0_x8(const MatmulPanel& p);
void matmul_q8_0_x8(const MatmulPanel& p);

}  // namespace turbine::cpu::avx512
