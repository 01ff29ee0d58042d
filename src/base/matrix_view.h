// A weight matrix as the kernels see it: `rows` output features, each row `cols` input elements
// stored contiguously in `dtype` (row_bytes(dtype, cols) bytes per row, blocks for quantized
// types). This is GGML's layout (ne0 = cols) and PyTorch's [out, in] row-major layout alike.
#pragma once

#include <cstdint>

#include "base/dtype.h"

namespace turbine {

struct MatrixView {
  DType dtype = DType::kF32;
  int64_t rows = 0;  // output features
  int64_t cols = 0;  // input features (multiple of the dtype's block size)
  const void* data = nullptr;

  int64_t row_stride_bytes() const { return row_bytes(dtype, cols); }
  int64_t num_bytes() const { return rows * row_stride_bytes(); }
};

}  // namespace turbine
