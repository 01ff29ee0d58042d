// AVX2 matmul panels for Q4_0 and Q8_0 weights interleaved in groups of 8 rows: the tiles of
// matmul_interleaved8.h with maddubs dot products.
#include "backend/cpu/kernels_avx2.h"
#include "backend/cpu/matmul_interleaved8.h"

namespace turbine::cpu::avx2 {

int64_t q4_0_x8_scratch_bytes(int64_t rows, int64_t k, int64_t n) {
  return q4_0_x8_unpacked_bytes(rows, k, n);
}

void matmul_q4_0_x8(const MatmulPanel& p) { matmul_q4_0_x8_panel</*kVnni=*/false>(p); }
void matmul_q8_0_x8(const MatmulPanel& p) { matmul_q8_0_x8_panel</*kVnni=*/false>(p); }

}  // namespace turbine::cpu::avx2
