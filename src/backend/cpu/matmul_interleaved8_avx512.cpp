// GCC 12's AVX-512 headers self-initialise "undefined" vectors (fixed in GCC 13).
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
// AVX-512 VNNI matmul panels for Q4_0 and Q8_0 weights interleaved in groups of 8 rows: the
// tiles of matmul_interleaved8.h with 256-bit _mm256_dpbusd_epi32 (AVX-512 VNNI + VL) dot
// products, which sum four u8 x s8 products straight into each i32 lane. The vectors stay 256
// bits wide: one holds 4 quants of each of a group's 8 rows. docs/benchmarks.md ("AVX-512")
// compares these tiles with the row-major AVX-512 ones (matmul_q8_avx512.cpp) by llvm-mca.
#include "backend/cpu/kernels_avx512.h"
#include "backend/cpu/matmul_interleaved8.h"

namespace turbine::cpu::avx512 {

void matmul_q4_0_x8(const MatmulPanel& p) { matmul_q4_0_x8_panel</*kVnni=*/true>(p); }
void matmul_q8_0_x8(const MatmulPanel& p) { matmul_q8_0_x8_panel</*kVnni=*/true>(p); }

}  // namespace turbine::cpu::avx512
