// A weight matrix as the kernels see it: `rows` output features, each row `cols` input elements
// stored contiguously in `dtype` (row_bytes(dtype, cols) bytes per row, blocks for quantized
// types). This is GGML's layout (ne0 = cols) and PyTorch's [out, in] row-major layout alike.
// A backend may rearrange a matrix for its kernels (Backend::prepare_weight); such a view says
// so in `layout`, and only that backend reads its bytes.
#pragma once

#include <cstdint>

#include "base/dtype.h"

namespace turbine {

enum class MatrixLayout {
  kRowMajor,
  // Groups of 8 rows interleaved block by block, in the order the backend that made it defines
  // (the CPU backend: backend/cpu/interleaved8.h). rows % 8 == 0, and the bytes per group are those
  // of its 8 rows, so row_stride_bytes() and num_bytes() keep their meaning.
  kInterleaved8,
};

struct MatrixView {
  DType dtype = DType::kF32;
  int64_t rows = 0;  // output features
  int64_t cols = 0;  // input features (multiple of the dtype's block size)
  const void* data = nullptr;
  MatrixLayout layout = MatrixLayout::kRowMajor;

  int64_t row_stride_bytes() const { return row_bytes(dtype, cols); }
  int64_t num_bytes() const { return rows * row_stride_bytes(); }
};

}  // namespace turbine
