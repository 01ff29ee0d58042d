#include "backend/cpu/cpu_kernels.h"

#include <string>

#include "backend/cpu/kernels_avx2.h"
#include "backend/cpu/kernels_avx512.h"
#include "backend/cpu/kernels_generic.h"
#include "base/check.h"

namespace turbine::cpu {
namespace {

CpuKernels make_generic() {
  CpuKernels k;
  k.isa = Isa::kGeneric;
  k.matmul_f32 = {.act = ActFormat::kF32, .panel = generic::matmul_f32};
  k.matmul_f16 = {.act = ActFormat::kF32, .panel = generic::matmul_f16};
  k.matmul_bf16 = {.act = ActFormat::kF32, .panel = generic::matmul_bf16};
  k.matmul_q8_0 = {.act = ActFormat::kQ8_0, .panel = generic::matmul_q8_0};
  k.matmul_q4_0 = {.act = ActFormat::kQ8_0, .panel = generic::matmul_q4_0};
  k.matmul_q4_k = {.act = ActFormat::kQ8_K, .panel = generic::matmul_q4_k};
  k.matmul_q6_k = {.act = ActFormat::kQ8_K, .panel = generic::matmul_q6_k};
  k.quantize_row_q8_0 = generic::quantize_row_q8_0;
  k.quantize_row_q8_k = generic::quantize_row_q8_k;
  k.dequantize_row = generic::dequantize_row;
  k.convert_row = generic::convert_row;
  k.rms_norm = generic::rms_norm;
  k.rope = generic::rope;
  k.silu_mul = generic::silu_mul;
  k.add = generic::add;
  k.add_bias = generic::add_bias;
  k.attention = generic::attention;
  return k;
}

CpuKernels make_avx2() {
  CpuKernels k = make_generic();
  k.isa = Isa::kAvx2;
  // The quantized panels switch to the repacked GEMM when the driver gives them scratch.
  k.matmul_f32 = {.act = ActFormat::kF32, .panel = avx2::matmul_f32};
  k.matmul_f16 = {.act = ActFormat::kF32, .panel = avx2::matmul_f16};
  k.matmul_bf16 = {.act = ActFormat::kF32, .panel = avx2::matmul_bf16};
  k.matmul_q8_0 = {.act = ActFormat::kQ8_0,
                   .panel = avx2::matmul_q8_0,
                   .scratch_bytes = avx2::gemm_q8_scratch_bytes,
                   .row_multiple = 8};
  k.matmul_q4_0 = {.act = ActFormat::kQ8_0,
                   .panel = avx2::matmul_q4_0,
                   .block_sums = true,
                   .scratch_bytes = avx2::gemm_q8_scratch_bytes,
                   .row_multiple = 8};
  // Interleaved Q4_0 / Q8_0 (matmul_interleaved8.h): decode reads them faster. Panels
  // of whole group pairs (16 rows), since the kernels' tiles take 2 groups and a lone group
  // runs a slower tile.
  k.matmul_q4_0_x8 = {.act = ActFormat::kQ8_0,
                      .panel = avx2::matmul_q4_0_x8,
                      .block_sums = true,
                      .scratch_bytes = avx2::q4_0_x8_scratch_bytes,
                      .row_multiple = 16};
  k.matmul_q8_0_x8 = {.act = ActFormat::kQ8_0, .panel = avx2::matmul_q8_0_x8, .row_multiple = 16};
  // Interleaved Q4_K / Q6_K (matmul_kquant_x8_avx2.cpp), whose tiles take one group.
  k.matmul_q4_k_x8 = {.act = ActFormat::kQ8_K,
                      .panel = avx2::matmul_q4_k_x8,
                      .scratch_bytes = avx2::gemm_kquant_x8_scratch_bytes,
                      .row_multiple = 8};
  k.matmul_q6_k_x8 = {.act = ActFormat::kQ8_K,
                      .panel = avx2::matmul_q6_k_x8,
                      .scratch_bytes = avx2::gemm_kquant_x8_scratch_bytes,
                      .row_multiple = 8};
  k.matmul_q4_k = {.act = ActFormat::kQ8_K,
                   .panel = avx2::matmul_q4_k,
                   .scratch_bytes = avx2::gemm_kquant_scratch_bytes,
                   .row_multiple = 8};
  k.matmul_q6_k = {.act = ActFormat::kQ8_K,
                   .panel = avx2::matmul_q6_k,
                   .scratch_bytes = avx2::gemm_kquant_scratch_bytes,
                   .row_multiple = 8};
  k.quantize_row_q8_0 = avx2::quantize_row_q8_0;
  k.quantize_row_q8_k = avx2::quantize_row_q8_k;
  k.convert_row = avx2::convert_row;
  k.rms_norm = avx2::rms_norm;
  k.rope = avx2::rope;
  k.silu_mul = avx2::silu_mul;
  k.add = avx2::add;
  k.add_bias = avx2::add_bias;
  k.attention = avx2::attention;
  return k;
}

CpuKernels make_avx512() {
  CpuKernels k = make_avx2();
  k.isa = Isa::kAvx512;
  k.matmul_f16 = {.act = ActFormat::kF32, .panel = avx512::matmul_f16};
  k.matmul_bf16 = {.act = ActFormat::kBF16, .panel = avx512::matmul_bf16};
  k.matmul_q8_0 = {.act = ActFormat::kQ8_0, .panel = avx512::matmul_q8_0};
  k.matmul_q4_0 = {.act = ActFormat::kQ8_0, .panel = avx512::matmul_q4_0};
  // Q4_0 / Q8_0 / Q4_K / Q6_K are interleaved here too; the row-major AVX-512 kernels above
  // serve only matrices that are not (rows % 8 != 0, views never prepared). No AVX-512 machine
  // was at hand to time them, so the choice rests on llvm-mca (Ice Lake and Sapphire Rapids
  // models; docs/benchmarks.md, "AVX-512"): the row-major 512-bit tiles spend most of their
  // cycles on port-5 shuffles (f16 scales paired into halves, nibbles spread over 512 bits),
  // and the interleaved 256-bit tiles do 1.3-3.9x more multiply-adds per cycle, GEMV and GEMM.
  // Q4_0 / Q8_0 use VNNI dot products in those tiles; the K-quant tiles stay AVX2, as their i16
  // sums are scaled per sub-block by a madd that dpbusd would not save.
  k.matmul_q4_0_x8.panel = avx512::matmul_q4_0_x8;
  k.matmul_q8_0_x8.panel = avx512::matmul_q8_0_x8;
  k.matmul_q4_k = {.act = ActFormat::kQ8_K, .panel = avx512::matmul_q4_k};
  k.matmul_q6_k = {.act = ActFormat::kQ8_K, .panel = avx512::matmul_q6_k};
  return k;
}

}  // namespace

const MatmulKernel& CpuKernels::matmul(DType t, MatrixLayout layout) const {
  if (layout == MatrixLayout::kInterleaved8) {
    static const MatmulKernel kNone;
    switch (t) {
      case DType::kQ4_0:
        return matmul_q4_0_x8;
      case DType::kQ8_0:
        return matmul_q8_0_x8;
      case DType::kQ4_K:
        return matmul_q4_k_x8;
      case DType::kQ6_K:
        return matmul_q6_k_x8;
      default:
        return kNone;
    }
  }
  switch (t) {
    case DType::kF32:
      return matmul_f32;
    case DType::kF16:
      return matmul_f16;
    case DType::kBF16:
      return matmul_bf16;
    case DType::kQ8_0:
      return matmul_q8_0;
    case DType::kQ4_0:
      return matmul_q4_0;
    case DType::kQ4_K:
      return matmul_q4_k;
    case DType::kQ6_K:
      return matmul_q6_k;
  }
  TB_CHECK(false, "matmul: unhandled weight type");
}

const CpuKernels& cpu_kernels(Isa isa) {
  TB_CHECK(cpu_supports(isa), "cpu_kernels: this CPU cannot run " + std::string(isa_name(isa)));
  static const CpuKernels generic_kernels = make_generic();
  static const CpuKernels avx2_kernels = make_avx2();
  static const CpuKernels avx512_kernels = make_avx512();
  switch (isa) {
    case Isa::kGeneric:
      return generic_kernels;
    case Isa::kAvx2:
      return avx2_kernels;
    case Isa::kAvx512:
      return avx512_kernels;
  }
  return generic_kernels;
}

}  // namespace turbine::cpu
