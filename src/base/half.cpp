#include "base/half.h"

#include <memory>

namespace turbine {

const float* f16_to_f32_table() {
  static const std::unique_ptr<float[]> table = [] {
    auto t = std::make_unique<float[]>(65536);
    for (uint32_t h = 0; h < 65536; ++h) t[h] = f16_to_f32(uint16_t(h));
    return t;
  }();
  return table.get();
}

}  // namespace turbine
