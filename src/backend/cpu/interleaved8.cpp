#include "backend/cpu/interleaved8.h"

#include <cstring>

#include "backend/cpu/kquant_scales.h"
#include "base/check.h"

namespace turbine::cpu {
namespace {

// Row i's quant array `row` (n bytes) into / out of the quads of its group (interleaved8.h).
template <int N>
void put_quads(const uint8_t* row, int i, uint8_t* quads) {
  for (int j = 0; j < N / 4; ++j) std::memcpy(quads + 32 * j + 4 * i, row + 4 * j, 4);
}
template <int N>
void get_quads(const uint8_t* quads, int i, uint8_t* row) {
  for (int j = 0; j < N / 4; ++j) std::memcpy(row + 4 * j, quads + 32 * j + 4 * i, 4);
}
template <class T>
const uint8_t* bytes(const T* p) {
  return reinterpret_cast<const uint8_t*>(p);
}
template <class T>
uint8_t* bytes(T* p) {
  return reinterpret_cast<uint8_t*>(p);
}

// BlockQ4_0x8 / BlockQ8_0x8 from / to 8 rows' BlockQ4_0 / BlockQ8_0.
template <class Block, class Packed>
void pack_block(const Block* const (&rows)[8], Packed* out) {
  for (int i = 0; i < 8; ++i) {
    out->d[i] = rows[i]->d;
    put_quads<sizeof(Block::qs)>(bytes(rows[i]->qs), i, bytes(out->qs));
  }
}
template <class Block, class Packed>
void unpack_block(const Packed& in, int i, Block* out) {
  out->d = in.d[i];
  get_quads<sizeof(Block::qs)>(bytes(in.qs), i, bytes(out->qs));
}

void pack_block(const BlockQ4_K* const (&rows)[8], BlockQ4_Kx8* out) {
  for (int i = 0; i < 8; ++i) {
    out->d[i] = rows[i]->d;
    out->dmin[i] = rows[i]->dmin;
    // v[e][s]: T[16 s + 2 i + e] of interleaved8.h (e = 0 the scale, 1 the min). Every byte of
    // sm_lo / sm_hi holds bits of one row's T values, so each row writes its own bytes (a
    // shared T array, written byte by byte and read back in pairs, stalled on store forwarding).
    int v[2][8];
    for (int s = 0; s < 8; ++s) q4_k_scale_min(s, rows[i]->scales, &v[0][s], &v[1][s]);
    for (int e = 0; e < 2; ++e) {
      const int* t = v[e];
      for (int s = 0; s < 4; ++s)  // sm_lo[n], n = 16 s + 2 i + e: T[n] and T[n + 64]
        out->sm_lo[16 * s + 2 * i + e] = uint8_t((t[s] & 15) | (t[s + 4] & 15) << 4);
      for (int s = 0; s < 2; ++s) {  // sm_hi[n]: T[n], T[n + 32], T[n + 64], T[n + 96]
        out->sm_hi[16 * s + 2 * i + e] = uint8_t(t[s] >> 4 | (t[s + 2] >> 4) << 2 |
                                                 (t[s + 4] >> 4) << 4 | (t[s + 6] >> 4) << 6);
      }
    }
    put_quads<sizeof(BlockQ4_K::qs)>(rows[i]->qs, i, out->qs);
  }
}
void unpack_block(const BlockQ4_Kx8& in, int i, BlockQ4_K* out) {
  auto t = [&](int n) {  // T[n]: low 4 bits from sm_lo, top 2 from sm_hi
    return ((in.sm_lo[n % 64] >> (4 * (n / 64))) & 15) |
           ((in.sm_hi[n % 32] >> (2 * (n / 32))) & 3) << 4;
  };
  int sc[8], m[8];
  for (int s = 0; s < 8; ++s) {
    sc[s] = t(16 * s + 2 * i);
    m[s] = t(16 * s + 2 * i + 1);
  }
  // GGML's packing, the inverse of q4_k_scale_min: 96 bits, every one used.
  for (int j = 0; j < 4; ++j) {
    out->scales[j] = uint8_t(sc[j] | (sc[j + 4] >> 4) << 6);
    out->scales[j + 4] = uint8_t(m[j] | (m[j + 4] >> 4) << 6);
    out->scales[j + 8] = uint8_t((sc[j + 4] & 15) | (m[j + 4] & 15) << 4);
  }
  out->d = in.d[i];
  out->dmin = in.dmin[i];
  get_quads<sizeof(BlockQ4_K::qs)>(in.qs, i, out->qs);
}

// The 6-bit quant v of element 128 h + 32 r + l (l < 32) of a BlockQ6_K (dequantize_q6_K's
// order) written into zeroed ql / qh: the low 4 bits at ql[64 h + 32 (r & 1) + l], shifted
// by 4 (r >> 1), the top 2 at qh[32 h + l], shifted by 2 r.
void q6_k_set_value(BlockQ6_K& blk, int h, int r, int l, int v) {
  blk.ql[64 * h + 32 * (r & 1) + l] |= uint8_t((v & 15) << (4 * (r >> 1)));
  blk.qh[32 * h + l] |= uint8_t((v >> 4) << (2 * r));
}

void pack_block(const BlockQ6_K* const (&rows)[8], BlockQ6_Kx8* out) {
  for (int i = 0; i < 8; ++i) {
    const BlockQ6_K& blk = *rows[i];
    out->d[i] = blk.d;
    for (int u = 0; u < 8; ++u) {
      out->scales[16 * u + 2 * i] = blk.scales[2 * u];
      out->scales[16 * u + 2 * i + 1] = blk.scales[2 * u + 1];
    }
    for (int h = 0; h < 2; ++h) {
      // v[r][l]: the quant of element 128 h + 32 r + l (q6_k_set_value's layout); then this
      // half's A, B and C arrays of interleaved8.h, 32 bytes each, spread by quads. (Written as
      // 32-byte loops; alone, that was no faster than value by value: the pack waited on its
      // loads, which pack() now prefetches.)
      uint8_t v[4][32], abc[3][32];
      const uint8_t* ql = blk.ql + 64 * h;
      const uint8_t* qh = blk.qh + 32 * h;
      for (int r = 0; r < 4; ++r) {
        for (int l = 0; l < 32; ++l) {
          v[r][l] = uint8_t(((ql[32 * (r & 1) + l] >> (4 * (r >> 1))) & 15) |
                            ((qh[l] >> (2 * r)) & 3) << 4);
        }
      }
      for (int l = 0; l < 32; ++l) {
        abc[0][l] = uint8_t(v[0][l] | (v[2][l] >> 4) << 6);
        abc[1][l] = uint8_t(v[1][l] | (v[3][l] >> 4) << 6);
        abc[2][l] = uint8_t((v[2][l] & 15) | (v[3][l] & 15) << 4);
      }
      for (int q = 0; q < 8; ++q) {  // quad q of each array to row i's lane of quad group 8h + q
        for (int a = 0; a < 3; ++a)
          std::memcpy(out->q + 96 * (8 * h + q) + 32 * a + 4 * i, abc[a] + 4 * q, 4);
      }
    }
  }
}
void unpack_block(const BlockQ6_Kx8& in, int i, BlockQ6_K* out) {
  out->d = in.d[i];
  for (int u = 0; u < 8; ++u) {
    out->scales[2 * u] = in.scales[16 * u + 2 * i];
    out->scales[2 * u + 1] = in.scales[16 * u + 2 * i + 1];
  }
  std::memset(out->ql, 0, sizeof(out->ql));
  std::memset(out->qh, 0, sizeof(out->qh));
  for (int h = 0; h < 2; ++h) {
    for (int q = 0; q < 8; ++q) {
      const uint8_t* abc = in.q + 96 * (8 * h + q) + 4 * i;
      for (int t = 0; t < 4; ++t) {
        const int a = abc[t], b = abc[32 + t], c = abc[64 + t];
        const int v[4] = {a & 63, b & 63, (c & 15) | (a >> 6) << 4, (c >> 4) | (b >> 6) << 4};
        for (int r = 0; r < 4; ++r) q6_k_set_value(*out, h, r, 4 * q + t, v[r]);
      }
    }
  }
}

// How far ahead pack() fetches each row's K-quant blocks.
constexpr int64_t kPackPrefetchBlocks = 2;

template <class Block, class Packed>
void pack(const void* src, int64_t nb, int64_t g0, int64_t g1, void* dst) {
  const auto* in = static_cast<const Block*>(src);
  auto* out = static_cast<Packed*>(dst);
  for (int64_t g = g0; g < g1; ++g) {
    for (int64_t b = 0; b < nb; ++b) {
      const Block* rows[8];
      for (int i = 0; i < 8; ++i) rows[i] = in + (8 * g + i) * nb + b;
      // 8 source streams (the group's rows) of K-quant blocks (144 / 210 bytes) outrun the
      // hardware prefetcher: without this, half of a Q6_K pack waited on its first load of
      // each row's block. Q4_0 / Q8_0 blocks (18 / 34 bytes) were not measured to need it.
      if constexpr (sizeof(Block) >= 64) {
        for (int i = 0; i < 8; ++i) {
          const auto* ahead = reinterpret_cast<const char*>(rows[i] + kPackPrefetchBlocks);
          for (size_t o = 0; o < sizeof(Block); o += 64) __builtin_prefetch(ahead + o);
        }
      }
      pack_block(rows, out + g * nb + b);
    }
  }
}

template <class Block, class Packed>
void unpack_row(const void* src, int64_t nb, int64_t row, void* dst) {
  const Packed* group = static_cast<const Packed*>(src) + row / 8 * nb;
  auto* out = static_cast<Block*>(dst);
  for (int64_t b = 0; b < nb; ++b) unpack_block(group[b], int(row % 8), out + b);
}

}  // namespace

bool has_interleaved8(DType t) {
  return t == DType::kQ4_0 || t == DType::kQ8_0 || t == DType::kQ4_K || t == DType::kQ6_K;
}

void pack_interleaved8(DType t, const void* src, int64_t nb, int64_t g0, int64_t g1, void* dst) {
  switch (t) {
    case DType::kQ4_0:
      return pack<BlockQ4_0, BlockQ4_0x8>(src, nb, g0, g1, dst);
    case DType::kQ8_0:
      return pack<BlockQ8_0, BlockQ8_0x8>(src, nb, g0, g1, dst);
    case DType::kQ4_K:
      return pack<BlockQ4_K, BlockQ4_Kx8>(src, nb, g0, g1, dst);
    case DType::kQ6_K:
      return pack<BlockQ6_K, BlockQ6_Kx8>(src, nb, g0, g1, dst);
    default:
      TB_CHECK(false, "pack_interleaved8: no interleaved form of this type");
  }
}

void unpack_interleaved8_row(DType t, const void* src, int64_t nb, int64_t row, void* out) {
  switch (t) {
    case DType::kQ4_0:
      return unpack_row<BlockQ4_0, BlockQ4_0x8>(src, nb, row, out);
    case DType::kQ8_0:
      return unpack_row<BlockQ8_0, BlockQ8_0x8>(src, nb, row, out);
    case DType::kQ4_K:
      return unpack_row<BlockQ4_K, BlockQ4_Kx8>(src, nb, row, out);
    case DType::kQ6_K:
      return unpack_row<BlockQ6_K, BlockQ6_Kx8>(src, nb, row, out);
    default:
      TB_CHECK(false, "unpack_interleaved8_row: no interleaved form of this type");
  }
}

}  // namespace turbine::cpu
