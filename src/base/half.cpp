#include "base/half.h"

namespace turbine {

// Built once and never freed: a kernel thread may still read it during static destruction.
const float* f16_to_f32_table() {
  static const float* const table = [] {
    auto* t = new float[65536];
    for (uint32_t h = 0; h < 65536; ++h) t[h] = f16_to_f32(uint16_t(h));
    return t;
  }();
  return table;
}

}  // namespace turbine
