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

}  // namespace turbine::cpu::avx512
