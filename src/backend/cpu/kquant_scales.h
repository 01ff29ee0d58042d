// Scalar unpacking of the 6-bit sub-block scales and mins of a Q4_K block (GGML's
// get_scale_min_k4). Internal linkage, so any ISA's file may include it.
#pragma once

#include <cstdint>

namespace turbine::cpu {

// Sub-block j in [0, 8) of a Q4_K super-block: scale and min, each in [0, 63].
static inline void q4_k_scale_min(int j, const uint8_t* scales, int* sc, int* m) {
  if (j < 4) {
    *sc = scales[j] & 63;
    *m = scales[j + 4] & 63;
  } else {
    *sc = (scales[j + 4] & 0xF) | ((scales[j - 4] >> 6) << 4);
    *m = (scales[j + 4] >> 4) | ((scales[j] >> 6) << 4);
  }
}

}  // namespace turbine::cpu
