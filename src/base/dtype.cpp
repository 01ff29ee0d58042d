#include "base/dtype.h"

#include <array>
#include <string>

#include "base/check.h"

namespace turbine {

std::optional<DType> dtype_from_ggml(uint32_t t) {
  switch (t) {
    case 0: return DType::kF32;
    case 1: return DType::kF16;
    case 2: return DType::kQ4_0;
    case 8: return DType::kQ8_0;
    case 12: return DType::kQ4_K;
    case 14: return DType::kQ6_K;
    case 30: return DType::kBF16;
    default: return std::nullopt;
  }
}

const DTypeTraits& dtype_traits(DType t) {
  static const DTypeTraits kF32{"f32", 1, 4}, kF16{"f16", 1, 2}, kBF16{"bf16", 1, 2},
      kQ4_0{"q4_0", kQK, sizeof(BlockQ4_0)}, kQ8_0{"q8_0", kQK, sizeof(BlockQ8_0)},
      kQ4_K{"q4_K", kQK_K, sizeof(BlockQ4_K)}, kQ6_K{"q6_K", kQK_K, sizeof(BlockQ6_K)};
  switch (t) {
    case DType::kF32: return kF32;
    case DType::kF16: return kF16;
    case DType::kBF16: return kBF16;
    case DType::kQ4_0: return kQ4_0;
    case DType::kQ8_0: return kQ8_0;
    case DType::kQ4_K: return kQ4_K;
    case DType::kQ6_K: return kQ6_K;
  }
  TB_CHECK(false, "unknown DType " + std::to_string(uint32_t(t)));
}

std::string_view ggml_type_name(uint32_t t) {
  static constexpr std::array<std::string_view, 42> kNames = {
      "f32",  "f16",  "q4_0", "q4_1", "q4_2 (removed)", "q4_3 (removed)", "q5_0", "q5_1",
      "q8_0", "q8_1", "q2_K", "q3_K", "q4_K", "q5_K", "q6_K", "q8_K", "iq2_xxs", "iq2_xs",
      "iq3_xxs", "iq1_s", "iq4_nl", "iq3_s", "iq2_s", "iq4_xs", "i8", "i16", "i32", "i64",
      "f64", "iq1_m", "bf16", "q4_0_4_4 (removed)", "q4_0_4_8 (removed)", "q4_0_8_8 (removed)",
      "tq1_0", "tq2_0", "iq4_nl_4_4 (removed)", "iq4_nl_4_8 (removed)", "iq4_nl_8_8 (removed)",
      "mxfp4", "type 40", "type 41"};
  if (t < kNames.size()) return kNames[t];
  return "unknown type";
}

}  // namespace turbine
