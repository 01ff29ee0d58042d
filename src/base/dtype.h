// Element types of weights and KV caches. Values are GGML's type ids, so a GGUF tensor's
// type field maps directly. Quantized types are stored in blocks (see block_* below).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

namespace turbine {

enum class DType : uint32_t {
  kF32 = 0,
  kF16 = 1,
  kQ4_0 = 2,
  kQ8_0 = 8,
  kQ4_K = 12,
  kQ6_K = 14,
  kBF16 = 30,
};

struct DTypeTraits {
  std::string_view name;  // GGML's spelling: "f32", "q4_K", ...
  int64_t block_elems;    // elements per block (1 for plain types)
  int64_t block_bytes;    // bytes per block
};

// nullopt for a type id turbine does not handle (GGUF files carry many more).
std::optional<DType> dtype_from_ggml(uint32_t ggml_type);
const DTypeTraits& dtype_traits(DType t);
// GGML's name for any type id, including ones turbine does not handle ("iq2_xs", "type 99").
std::string_view ggml_type_name(uint32_t ggml_type);
inline std::string_view dtype_name(DType t) { return dtype_traits(t).name; }
inline bool is_quantized(DType t) { return dtype_traits(t).block_elems > 1; }
// Bytes of one row of n elements; precondition: n is a multiple of the block size.
inline int64_t row_bytes(DType t, int64_t n) {
  const auto& tr = dtype_traits(t);
  return n / tr.block_elems * tr.block_bytes;
}

// Block layouts, identical to GGML's (so GGUF data is used in place).
constexpr int kQK = 32;    // elements per Q4_0 / Q8_0 block
constexpr int kQK_K = 256;  // elements per K-quant super-block

struct BlockQ4_0 {
  uint16_t d;             // f16 scale
  uint8_t qs[kQK / 2];    // element j in low nibble of qs[j], element j+16 in the high nibble; value = (q - 8) * d
};
struct BlockQ8_0 {
  uint16_t d;             // f16 scale
  int8_t qs[kQK];         // value = q * d
};
struct BlockQ4_K {
  uint16_t d;             // f16 super-block scale for the 6-bit sub-block scales
  uint16_t dmin;          // f16 super-block scale for the 6-bit sub-block mins
  uint8_t scales[12];     // 8 (scale, min) pairs of 6 bits, packed
  uint8_t qs[kQK_K / 2];  // 4-bit quants
};
struct BlockQ6_K {
  uint8_t ql[kQK_K / 2];      // low 4 bits
  uint8_t qh[kQK_K / 4];      // high 2 bits
  int8_t scales[kQK_K / 16];  // 8-bit sub-block scales
  uint16_t d;                 // f16 super-block scale
};
static_assert(sizeof(BlockQ4_0) == 18 && sizeof(BlockQ8_0) == 34);
static_assert(sizeof(BlockQ4_K) == 144 && sizeof(BlockQ6_K) == 210);

}  // namespace turbine
