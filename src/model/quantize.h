// Reference (portable scalar) encoding and decoding of rows in every turbine DType, with GGML's
// block layouts and GGML's reference quantizers, so files we write read the same in llama.cpp.
// Pure functions; any thread. SIMD kernels live in backend/cpu and are checked against these.
#pragma once

#include <cstdint>
#include <vector>

#include "base/dtype.h"
#include "base/status.h"

namespace turbine {

// Encodes x[0, n) into `out` (row_bytes(t, n) bytes).
// Precondition (TB_CHECK): n is a multiple of t's block size (32 for q8_0/q4_0, 256 for K-quants).
//   f32/f16/bf16: element-wise (f16/bf16 round to nearest even).
//   q8_0, q4_0:   quantize_row_q8_0_ref / quantize_row_q4_0_ref.
//   q4_K:         quantize_row_q4_K_ref (make_qkx2_quants per 32-element sub-block).
//   q6_K:         quantize_row_q6_K_ref (make_qx_quants per 16-element sub-block).
void quantize_row(DType t, const float* x, int64_t n, void* out);

// Decodes row_bytes(t, n) bytes of `in` into out[0, n), exactly as GGML's dequantize_row_*.
// Precondition (TB_CHECK): n is a multiple of t's block size.
void dequantize_row(DType t, const void* in, int64_t n, float* out);

// Encodes a row-major [rows, cols] matrix row by row: rows * row_bytes(t, cols) bytes.
// Errors (not checks): cols not a multiple of the block size, negative or overflowing shapes.
Result<std::vector<uint8_t>> quantize_tensor(DType t, const float* x, int64_t rows, int64_t cols);

}  // namespace turbine
