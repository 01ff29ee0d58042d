// Force-included (-include) into the *_avx512.cpp kernels for the AVX-512 emulation test build
// (tests/backend/avx512_emulation.cmake): SIMDe's portable AVX-512 behind the native intrinsic
// names, plus the few intrinsics SIMDe 0.7 lacks. Lets a machine without AVX-512 run the
// AVX-512 kernels' logic (slowly) under the same tests.
#pragma once

#include <immintrin.h>

#define SIMDE_ENABLE_NATIVE_ALIASES
#include <simde/x86/avx512.h>

static inline float tb_emu_reduce_add_ps(simde__m512 a) {
  simde__m512_private p = simde__m512_to_private(a);
  float s = 0.0f;
  for (int i = 0; i < 16; ++i) s += p.f32[i];
  return s;
}
#undef _mm512_reduce_add_ps
#define _mm512_reduce_add_ps(a) tb_emu_reduce_add_ps(a)

static inline simde__m512 tb_emu_cvtph_ps(simde__m256i a) {
  simde__m256i_private p = simde__m256i_to_private(a);
  simde__m512_private r;
  for (int i = 0; i < 16; ++i) r.f32[i] = _cvtsh_ss(p.u16[i]);
  return simde__m512_from_private(r);
}
#undef _mm512_cvtph_ps
#define _mm512_cvtph_ps(a) tb_emu_cvtph_ps(a)

static inline simde__m512 tb_emu_cvtepi32_ps(simde__m512i a) {
  simde__m512i_private p = simde__m512i_to_private(a);
  simde__m512_private r;
  for (int i = 0; i < 16; ++i) r.f32[i] = float(p.i32[i]);
  return simde__m512_from_private(r);
}
#undef _mm512_cvtepi32_ps
#define _mm512_cvtepi32_ps(a) tb_emu_cvtepi32_ps(a)

static inline simde__m512i tb_emu_zextsi256_si512(simde__m256i a) {
  return simde_mm512_inserti64x4(simde_mm512_setzero_si512(), a, 0);
}
#undef _mm512_zextsi256_si512
#define _mm512_zextsi256_si512(a) tb_emu_zextsi256_si512(a)

#undef _mm512_shuffle_i64x2
#define _mm512_shuffle_i64x2(a, b, imm) simde_mm512_shuffle_i64x2(a, b, imm)
