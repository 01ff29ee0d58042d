// The q8_K activation rows of a K-quant matmul tile (QuantizedRows in kernel_args.h), shared by
// the AVX2, AVX-512, GEMM and interleaved K-quant kernels. Internal linkage, like simd_avx2.h.
#pragma once

#include <cstdint>

#include "backend/cpu/kernel_args.h"

namespace turbine::cpu {
namespace {

// Activation row c of a tile: its k quants, k / 256 scales and k / 16 sixteen-element sums.
struct Q8KCol {
  const int8_t* qs;
  const float* d;
  const int16_t* bsums;
};

// Activation rows [c0, c0 + C) of panel p.
template <int C>
inline void load_q8k_cols(const MatmulPanel& p, int64_t c0, Q8KCol* cols) {
#pragma GCC unroll 8
  for (int c = 0; c < C; ++c) {
    cols[c].qs = p.xq.qs + (c0 + c) * p.k;
    cols[c].d = p.xq.d + (c0 + c) * (p.k / 256);
    cols[c].bsums = p.xq.bsums + (c0 + c) * (p.k / 16);
  }
}

}  // namespace
}  // namespace turbine::cpu
