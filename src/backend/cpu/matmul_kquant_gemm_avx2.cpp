// AVX2 int8 GEMM for Q4_K / Q6_K weights when several activation rows share them (the K-quant
// counterpart of matmul_q8_gemm_avx2.cpp; read that first). Each panel is repacked 8 rows at a
// time, from row-major or interleaved (interleaved8.h) blocks, per 256-element super-block:
//
//   Q4_K (2624 bytes)                         Q6_K (2848 bytes)
//   quads 0..63: 8 rows x 4 k, u8 0..15       quads 0..63: 8 rows x 4 k, u8 0..63
//   scale j=0..7: i16 (2r, 2r+1) = sc[j]      scale g=0..15: i16 (2r, 2r+1) = sc[g]
//   min   j=0..7: i16 (2r, 2r+1) = m[j]       pairs p=0..7: i16 2r = sc[2p], 2r+1 = sc[2p+1]
//   d[8], dmin[8] f32                         d[8] f32
//
// Sub-block dots accumulate in i16 (Q4_K: 8 quads x 2 x 15 x 127; Q6_K: 2 quads x 2 x 63 x 127,
// both < 32767), then _mm256_madd_epi16 by the scale lanes folds the scales in. The offsets
// (Q4_K mins, Q6_K's -32) come from the activations' 16-element sums: a pair of them is one
// dword of bsums, broadcast and madd'ed with the min / offset-pair lanes.
#include "backend/cpu/interleaved8.h"
#include "backend/cpu/kernels_avx2.h"
#include "backend/cpu/kquant_scales.h"
#include "backend/cpu/kquant_x8_avx2.h"
#include "backend/cpu/q8k_cols.h"
#include "backend/cpu/simd_avx2.h"

namespace turbine::cpu::avx2 {
namespace {

constexpr int64_t kGemmMinCols = 4;
constexpr int64_t kGroupRows = 8;
constexpr int64_t kQ4KPacked = 2048 + 256 + 256 + 32 + 32;
constexpr int64_t kQ6KPacked = 2048 + 512 + 256 + 32;

// rows x 256 u8 quants (row r at q + 256 r; rows 8 even when fewer are real) -> 64 quads.
inline void store_quads(const uint8_t* q, uint8_t* out) {
  for (int t = 0; t < 8; ++t) {  // 32-element chunk t -> quads 8t .. 8t+7
    __m256i v[8];
    for (int r = 0; r < 8; ++r)
      v[r] = _mm256_load_si256(reinterpret_cast<const __m256i*>(q + 256 * r + 32 * t));
    transpose8x8_epi32(v);
    for (int i = 0; i < 8; ++i)
      _mm256_store_si256(reinterpret_cast<__m256i*>(out + 32 * (8 * t + i)), v[i]);
  }
}

void repack_q4_k(const MatmulPanel& p, int64_t r0, int64_t rows, uint8_t* out) {
  const int64_t nb = p.k / 256;
  const __m256i m4 = _mm256_set1_epi8(0x0F);
  alignas(32) uint8_t q[8 * 256];
  for (int64_t b = 0; b < nb; ++b, out += kQ4KPacked) {
    auto* scale = reinterpret_cast<int16_t*>(out + 2048);
    auto* mins = reinterpret_cast<int16_t*>(out + 2304);
    auto* d = reinterpret_cast<float*>(out + 2560);
    auto* dmin = reinterpret_cast<float*>(out + 2592);
    for (int r = 0; r < 8; ++r) {
      if (r >= rows) {
        __builtin_memset(q + 256 * r, 0, 256);
        for (int j = 0; j < 8; ++j)
          scale[16 * j + 2 * r] = scale[16 * j + 2 * r + 1] = mins[16 * j + 2 * r] =
              mins[16 * j + 2 * r + 1] = 0;
        d[r] = dmin[r] = 0.0f;
        continue;
      }
      const BlockQ4_K& blk = reinterpret_cast<const BlockQ4_K*>(p.w + (r0 + r) * p.w_stride)[b];
      for (int j = 0; j < 4; ++j) {  // 64 elements: low nibbles, then high
        const __m256i bits = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(blk.qs + 32 * j));
        _mm256_store_si256(reinterpret_cast<__m256i*>(q + 256 * r + 64 * j),
                           _mm256_and_si256(bits, m4));
        _mm256_store_si256(reinterpret_cast<__m256i*>(q + 256 * r + 64 * j + 32),
                           _mm256_and_si256(_mm256_srli_epi16(bits, 4), m4));
      }
      for (int j = 0; j < 8; ++j) {
        int sc, m;
        q4_k_scale_min(j, blk.scales, &sc, &m);
        scale[16 * j + 2 * r] = scale[16 * j + 2 * r + 1] = int16_t(sc);
        mins[16 * j + 2 * r] = mins[16 * j + 2 * r + 1] = int16_t(m);
      }
      d[r] = f16_scalar(blk.d);
      dmin[r] = f16_scalar(blk.dmin);
    }
    store_quads(q, out);
  }
}

void repack_q6_k(const MatmulPanel& p, int64_t r0, int64_t rows, uint8_t* out) {
  const int64_t nb = p.k / 256;
  const __m256i m4 = _mm256_set1_epi8(0x0F);
  const __m256i m2 = _mm256_set1_epi8(0x03);
  alignas(32) uint8_t q[8 * 256];
  for (int64_t b = 0; b < nb; ++b, out += kQ6KPacked) {
    auto* scale = reinterpret_cast<int16_t*>(out + 2048);
    auto* pairs = reinterpret_cast<int16_t*>(out + 2560);
    auto* d = reinterpret_cast<float*>(out + 2816);
    for (int r = 0; r < 8; ++r) {
      if (r >= rows) {
        __builtin_memset(q + 256 * r, 0, 256);
        for (int g = 0; g < 16; ++g) scale[16 * g + 2 * r] = scale[16 * g + 2 * r + 1] = 0;
        for (int i = 0; i < 8; ++i) pairs[16 * i + 2 * r] = pairs[16 * i + 2 * r + 1] = 0;
        d[r] = 0.0f;
        continue;
      }
      const BlockQ6_K& blk = reinterpret_cast<const BlockQ6_K*>(p.w + (r0 + r) * p.w_stride)[b];
      for (int h = 0; h < 2; ++h) {  // 128 elements each; see dequantize_q6_k
        const __m256i l0 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(blk.ql + 64 * h));
        const __m256i l1 =
            _mm256_loadu_si256(reinterpret_cast<const __m256i*>(blk.ql + 64 * h + 32));
        const __m256i hb = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(blk.qh + 32 * h));
        const __m256i lows[4] = {_mm256_and_si256(l0, m4), _mm256_and_si256(l1, m4),
                                 _mm256_and_si256(_mm256_srli_epi16(l0, 4), m4),
                                 _mm256_and_si256(_mm256_srli_epi16(l1, 4), m4)};
        const __m256i highs[4] = {
            _mm256_slli_epi16(_mm256_and_si256(hb, m2), 4),
            _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(hb, 2), m2), 4),
            _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(hb, 4), m2), 4),
            _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(hb, 6), m2), 4)};
        for (int i = 0; i < 4; ++i) {
          _mm256_store_si256(reinterpret_cast<__m256i*>(q + 256 * r + 128 * h + 32 * i),
                             _mm256_or_si256(lows[i], highs[i]));
        }
      }
      for (int g = 0; g < 16; ++g)
        scale[16 * g + 2 * r] = scale[16 * g + 2 * r + 1] = blk.scales[g];
      for (int i = 0; i < 8; ++i) {
        pairs[16 * i + 2 * r] = blk.scales[2 * i];
        pairs[16 * i + 2 * r + 1] = blk.scales[2 * i + 1];
      }
      d[r] = f16_scalar(blk.d);
    }
    store_quads(q, out);
  }
}

// The same formats from weights interleaved in groups of 8 (interleaved8.h): a panel of them
// has whole groups, so every group has 8 real rows.
void repack_q4_k_x8(const MatmulPanel& p, int64_t r0, int64_t /*rows*/, uint8_t* out) {
  const int64_t nb = p.k / 256;
  const BlockQ4_Kx8* w = reinterpret_cast<const BlockQ4_Kx8*>(p.w) + r0 / 8 * nb;
  const __m256i m4 = _mm256_set1_epi8(0x0F);
  alignas(32) uint8_t t[128];
  for (int64_t b = 0; b < nb; ++b, out += kQ4KPacked) {
    const BlockQ4_Kx8& blk = w[b];
    for (int j = 0; j < 32; ++j) {  // quad j: low nibbles are quad 16 (j / 8) + j % 8, high + 8
      const __m256i v = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(blk.qs + 32 * j));
      const int lo = 16 * (j / 8) + j % 8;
      _mm256_store_si256(reinterpret_cast<__m256i*>(out + 32 * lo), _mm256_and_si256(v, m4));
      _mm256_store_si256(reinterpret_cast<__m256i*>(out + 32 * (lo + 8)),
                         _mm256_and_si256(_mm256_srli_epi16(v, 4), m4));
    }
    q4_k_x8_scales_mins(blk, t);
    for (int s = 0; s < 8; ++s) {
      const __m256i pair = q4_k_x8_pair(t, s);
      _mm256_store_si256(reinterpret_cast<__m256i*>(out + 2048 + 32 * s), dup_first(pair));
      _mm256_store_si256(reinterpret_cast<__m256i*>(out + 2304 + 32 * s), dup_second(pair));
    }
    _mm256_store_ps(reinterpret_cast<float*>(out + 2560), load_f16x8(blk.d));
    _mm256_store_ps(reinterpret_cast<float*>(out + 2592), load_f16x8(blk.dmin));
  }
}

void repack_q6_k_x8(const MatmulPanel& p, int64_t r0, int64_t /*rows*/, uint8_t* out) {
  const int64_t nb = p.k / 256;
  const BlockQ6_Kx8* w = reinterpret_cast<const BlockQ6_Kx8*>(p.w) + r0 / 8 * nb;
  for (int64_t b = 0; b < nb; ++b, out += kQ6KPacked) {
    const BlockQ6_Kx8& blk = w[b];
    for (int h = 0; h < 2; ++h)
      for (int quarter = 0; quarter < 4; ++quarter)
        for (int q = 0; q < 8; ++q) {  // elements 128 h + 32 quarter + 4 q: that quad
          _mm256_store_si256(reinterpret_cast<__m256i*>(out + 32 * (32 * h + 8 * quarter + q)),
                             q6_k_x8_quad(blk, h, quarter, q));
        }
    for (int u = 0; u < 8; ++u) {
      const __m256i pair = q6_k_x8_pair(blk, u);
      _mm256_store_si256(reinterpret_cast<__m256i*>(out + 2048 + 32 * (2 * u)), dup_first(pair));
      _mm256_store_si256(reinterpret_cast<__m256i*>(out + 2048 + 32 * (2 * u + 1)),
                         dup_second(pair));
      _mm256_store_si256(reinterpret_cast<__m256i*>(out + 2560 + 32 * u), pair);
    }
    _mm256_store_ps(reinterpret_cast<float*>(out + 2816), load_f16x8(blk.d));
  }
}

inline __m256i broadcast_dword(const void* p) {
  int32_t v;
  __builtin_memcpy(&v, p, 4);
  return _mm256_set1_epi32(v);
}

inline __m256i load256(const uint8_t* p) {
  return _mm256_load_si256(reinterpret_cast<const __m256i*>(p));
}

inline void store_rows(const __m256& v, float* y, int64_t rows) {
  if (rows == kGroupRows) {
    _mm256_storeu_ps(y, v);
    return;
  }
  alignas(32) float tmp[8];
  _mm256_store_ps(tmp, v);
  for (int64_t r = 0; r < rows; ++r) y[r] = tmp[r];
}

template <int C>
inline void gemm_tile_q4_k(const MatmulPanel& p, const uint8_t* packed, int64_t r0, int64_t rows,
                           int64_t c0) {
  const int64_t nb = p.k / 256;
  Q8KCol x[C];
  load_q8k_cols<C>(p, c0, x);
  __m256 acc[C];
#pragma GCC unroll 4
  for (int c = 0; c < C; ++c) acc[c] = _mm256_setzero_ps();

  for (int64_t b = 0; b < nb; ++b, packed += kQ4KPacked) {
    __m256i isum[C];
#pragma GCC unroll 4
    for (int c = 0; c < C; ++c) isum[c] = _mm256_setzero_si256();
    for (int j = 0; j < 8; ++j) {
      __m256i a16[C];
#pragma GCC unroll 4
      for (int c = 0; c < C; ++c) a16[c] = _mm256_setzero_si256();
#pragma GCC unroll 8
      for (int q = 0; q < 8; ++q) {
        const __m256i w = load256(packed + 32 * (8 * j + q));
#pragma GCC unroll 4
        for (int c = 0; c < C; ++c) {
          const __m256i xb = broadcast_dword(x[c].qs + b * 256 + 32 * j + 4 * q);
          a16[c] = _mm256_add_epi16(a16[c], _mm256_maddubs_epi16(w, xb));
          keep_in_register(a16[c]);  // summed in order, not as a tree of spilled products
        }
      }
      const __m256i sc = load256(packed + 2048 + 32 * j);
#pragma GCC unroll 4
      for (int c = 0; c < C; ++c)
        isum[c] = _mm256_add_epi32(isum[c], _mm256_madd_epi16(a16[c], sc));
    }
    const __m256 d = _mm256_load_ps(reinterpret_cast<const float*>(packed + 2560));
    const __m256 dmin = _mm256_load_ps(reinterpret_cast<const float*>(packed + 2592));
#pragma GCC unroll 4
    for (int c = 0; c < C; ++c) {
      __m256i msum = _mm256_setzero_si256();  // sum_j m_j * (sum of x over sub-block j)
#pragma GCC unroll 8
      for (int j = 0; j < 8; ++j) {
        msum =
            _mm256_add_epi32(msum, _mm256_madd_epi16(load256(packed + 2304 + 32 * j),
                                                     broadcast_dword(x[c].bsums + b * 16 + 2 * j)));
      }
      const __m256 dx = _mm256_broadcast_ss(x[c].d + b);
      acc[c] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(isum[c]), _mm256_mul_ps(d, dx), acc[c]);
      acc[c] = _mm256_fnmadd_ps(_mm256_cvtepi32_ps(msum), _mm256_mul_ps(dmin, dx), acc[c]);
    }
  }
#pragma GCC unroll 4
  for (int c = 0; c < C; ++c) store_rows(acc[c], p.y + (c0 + c) * p.ldy + r0, rows);
}

template <int C>
inline void gemm_tile_q6_k(const MatmulPanel& p, const uint8_t* packed, int64_t r0, int64_t rows,
                           int64_t c0) {
  const int64_t nb = p.k / 256;
  Q8KCol x[C];
  load_q8k_cols<C>(p, c0, x);
  __m256 acc[C];
#pragma GCC unroll 4
  for (int c = 0; c < C; ++c) acc[c] = _mm256_setzero_ps();

  for (int64_t b = 0; b < nb; ++b, packed += kQ6KPacked) {
    __m256i isum[C];
#pragma GCC unroll 4
    for (int c = 0; c < C; ++c) isum[c] = _mm256_setzero_si256();
    for (int g = 0; g < 16; ++g) {  // 16 elements = 4 quads, in two i16 halves of 2 quads
      const __m256i sc = load256(packed + 2048 + 32 * g);
#pragma GCC unroll 2
      for (int h = 0; h < 2; ++h) {
        const __m256i w0 = load256(packed + 32 * (4 * g + 2 * h));
        const __m256i w1 = load256(packed + 32 * (4 * g + 2 * h + 1));
#pragma GCC unroll 4
        for (int c = 0; c < C; ++c) {
          const int8_t* xp = x[c].qs + b * 256 + 16 * g + 8 * h;
          const __m256i a16 = _mm256_add_epi16(_mm256_maddubs_epi16(w0, broadcast_dword(xp)),
                                               _mm256_maddubs_epi16(w1, broadcast_dword(xp + 4)));
          isum[c] = _mm256_add_epi32(isum[c], _mm256_madd_epi16(a16, sc));
          keep_in_register(isum[c]);
        }
      }
    }
    const __m256 d = _mm256_load_ps(reinterpret_cast<const float*>(packed + 2816));
#pragma GCC unroll 4
    for (int c = 0; c < C; ++c) {
      __m256i off = _mm256_setzero_si256();  // sum_g sc_g * (sum of x over group g)
#pragma GCC unroll 8
      for (int i = 0; i < 8; ++i) {
        off =
            _mm256_add_epi32(off, _mm256_madd_epi16(load256(packed + 2560 + 32 * i),
                                                    broadcast_dword(x[c].bsums + b * 16 + 2 * i)));
      }
      const __m256i s = _mm256_sub_epi32(isum[c], _mm256_slli_epi32(off, 5));
      acc[c] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(s),
                               _mm256_mul_ps(d, _mm256_broadcast_ss(x[c].d + b)), acc[c]);
    }
  }
#pragma GCC unroll 4
  for (int c = 0; c < C; ++c) store_rows(acc[c], p.y + (c0 + c) * p.ldy + r0, rows);
}

template <int64_t kPacked, class Repack, class Tile>
void gemm_panel(const MatmulPanel& p, Repack repack, Tile tile) {
  const int64_t group_bytes = p.k / 256 * kPacked;
  const int64_t num_groups = (p.num_rows + kGroupRows - 1) / kGroupRows;
  for (int64_t g = 0; g < num_groups; ++g) {
    repack(p, g * kGroupRows, min64(kGroupRows, p.num_rows - g * kGroupRows),
           p.scratch + g * group_bytes);
  }
  for (int64_t c0 = 0; c0 < p.n; c0 += 4) {
    for (int64_t g = 0; g < num_groups; ++g) {
      const int64_t r0 = g * kGroupRows;
      tile(p, p.scratch + g * group_bytes, r0, min64(kGroupRows, p.num_rows - r0), c0,
           min64(4, p.n - c0));
    }
  }
}

// The tile for a group of `rows` weight rows against `cols` (1-4) activation rows.
void tile_q4_k(const MatmulPanel& q, const uint8_t* packed, int64_t r0, int64_t rows, int64_t c0,
               int64_t cols) {
  switch (cols) {
    case 4:
      return gemm_tile_q4_k<4>(q, packed, r0, rows, c0);
    case 3:
      return gemm_tile_q4_k<3>(q, packed, r0, rows, c0);
    case 2:
      return gemm_tile_q4_k<2>(q, packed, r0, rows, c0);
    default:
      return gemm_tile_q4_k<1>(q, packed, r0, rows, c0);
  }
}
void tile_q6_k(const MatmulPanel& q, const uint8_t* packed, int64_t r0, int64_t rows, int64_t c0,
               int64_t cols) {
  switch (cols) {
    case 4:
      return gemm_tile_q6_k<4>(q, packed, r0, rows, c0);
    case 3:
      return gemm_tile_q6_k<3>(q, packed, r0, rows, c0);
    case 2:
      return gemm_tile_q6_k<2>(q, packed, r0, rows, c0);
    default:
      return gemm_tile_q6_k<1>(q, packed, r0, rows, c0);
  }
}

}  // namespace

int64_t gemm_kquant_scratch_bytes(int64_t rows, int64_t k, int64_t n) {
  if (n < kGemmMinCols) return 0;
  return (rows + kGroupRows - 1) / kGroupRows * (k / 256) * kQ6KPacked;  // the larger format
}

// Interleaved weights already give the GEMV tiles 8 rows per load, so repacking pays only for
// larger batches: on Zen 3 the tiles (3 activation rows at a time) ran 4-8 rows 1.04-1.4x
// faster than repacking, and 12 rows Q4_K 1.08x faster but Q6_K 1.27x slower
// (docs/benchmarks.md).
int64_t gemm_kquant_x8_scratch_bytes(int64_t rows, int64_t k, int64_t n) {
  constexpr int64_t kX8GemmMinCols = 12;
  return n < kX8GemmMinCols ? 0 : gemm_kquant_scratch_bytes(rows, k, n);
}

void gemm_q4_k(const MatmulPanel& p) { gemm_panel<kQ4KPacked>(p, repack_q4_k, tile_q4_k); }
void gemm_q6_k(const MatmulPanel& p) { gemm_panel<kQ6KPacked>(p, repack_q6_k, tile_q6_k); }
void gemm_q4_k_x8(const MatmulPanel& p) { gemm_panel<kQ4KPacked>(p, repack_q4_k_x8, tile_q4_k); }
void gemm_q6_k_x8(const MatmulPanel& p) { gemm_panel<kQ6KPacked>(p, repack_q6_k_x8, tile_q6_k); }

}  // namespace turbine::cpu::avx2
