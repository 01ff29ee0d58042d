// IEEE fp16 and bfloat16 <-> f32 conversions, portable scalar versions (any ISA).
// SIMD versions live in backend/cpu.
#pragma once

#include <cstdint>
#include <cstring>

namespace turbine {

inline float bf16_to_f32(uint16_t h) {
  uint32_t bits = uint32_t(h) << 16;
  float f;
  std::memcpy(&f, &bits, 4);
  return f;
}

// Round to nearest even; NaN stays NaN.
inline uint16_t f32_to_bf16(float f) {
  uint32_t bits;
  std::memcpy(&bits, &f, 4);
  if ((bits & 0x7fffffff) > 0x7f800000) return uint16_t((bits >> 16) | 0x40);
  bits += 0x7fff + ((bits >> 16) & 1);
  return uint16_t(bits >> 16);
}

inline float f16_to_f32(uint16_t h) {
  const uint32_t sign = uint32_t(h & 0x8000) << 16;
  const uint32_t exp = (h >> 10) & 0x1f;
  const uint32_t mant = h & 0x3ff;
  uint32_t bits;
  if (exp == 0) {
    if (mant == 0) {
      bits = sign;
    } else {  // subnormal: normalise
      int e = -1;
      uint32_t m = mant;
      do { ++e; m <<= 1; } while ((m & 0x400) == 0);
      bits = sign | uint32_t(127 - 15 - e) << 23 | (m & 0x3ff) << 13;
    }
  } else if (exp == 0x1f) {
    bits = sign | 0x7f800000 | mant << 13;
  } else {
    bits = sign | (exp + 127 - 15) << 23 | mant << 13;
  }
  float f;
  std::memcpy(&f, &bits, 4);
  return f;
}

// Round to nearest even, overflow to inf, as the F16C instruction does.
inline uint16_t f32_to_f16(float f) {
  uint32_t x;
  std::memcpy(&x, &f, 4);
  const uint32_t sign = (x >> 16) & 0x8000;
  x &= 0x7fffffff;
  if (x > 0x7f800000) return uint16_t(sign | 0x7e00);  // NaN
  if (x >= 0x477ff000) return uint16_t(sign | 0x7c00);  // overflow (>= 65520) -> inf
  if (x < 0x38800000) {                                  // subnormal or zero in f16
    if (x < 0x33000000) return uint16_t(sign);           // < 2^-25 rounds to 0
    const uint32_t e = x >> 23;
    uint32_t m = (x & 0x7fffff) | 0x800000;
    const uint32_t shift = 126 - e;                      // 14 + (113 - e)
    uint32_t r = m >> shift;
    const uint32_t rem = m & ((1u << shift) - 1);
    const uint32_t half = 1u << (shift - 1);
    if (rem > half || (rem == half && (r & 1))) ++r;
    return uint16_t(sign | r);
  }
  uint32_t r = x - 0x38000000;  // rebias exponent 127 -> 15 (shifted by 13)
  r += 0xfff + ((r >> 13) & 1);
  return uint16_t(sign | (r >> 13));
}

// Every f16 bit pattern widened to f32 (65536 entries, 256 KiB), built on first use. A SIMD
// kernel turns a block scale into one broadcast load from here instead of a widen on the
// vector ports. Each binade of f16 is 1024 entries (64 lines), so a matrix whose scales span a
// few binades reads a few hundred lines of it.
const float* f16_to_f32_table();

}  // namespace turbine
