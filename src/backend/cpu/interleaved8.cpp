#include "backend/cpu/interleaved8.h"

#include <cstring>

#include "base/check.h"

namespace turbine::cpu {
namespace {

// Block: BlockQ4_0 / BlockQ8_0; Packed: the matching x8 block.
template <class Block, class Packed>
void pack(const Block* src, int64_t nb, int64_t g0, int64_t g1, Packed* dst) {
  constexpr int kQuads = sizeof(Block::qs) / 4;
  for (int64_t g = g0; g < g1; ++g) {
    const Block* rows = src + g * 8 * nb;
    Packed* out = dst + g * nb;
    for (int64_t b = 0; b < nb; ++b) {
      for (int i = 0; i < 8; ++i) {
        const Block& blk = rows[i * nb + b];
        out[b].d[i] = blk.d;
        for (int j = 0; j < kQuads; ++j) std::memcpy(out[b].qs + 32 * j + 4 * i, blk.qs + 4 * j, 4);
      }
    }
  }
}

template <class Block, class Packed>
void unpack_row(const Packed* src, int64_t nb, int64_t row, Block* out) {
  constexpr int kQuads = sizeof(Block::qs) / 4;
  const Packed* group = src + row / 8 * nb;
  const int i = int(row % 8);
  for (int64_t b = 0; b < nb; ++b) {
    out[b].d = group[b].d[i];
    for (int j = 0; j < kQuads; ++j) std::memcpy(out[b].qs + 4 * j, group[b].qs + 32 * j + 4 * i, 4);
  }
}

}  // namespace

bool has_interleaved8(DType t) { return t == DType::kQ4_0 || t == DType::kQ8_0; }

void pack_interleaved8(DType t, const void* src, int64_t nb, int64_t g0, int64_t g1, void* dst) {
  TB_CHECK(has_interleaved8(t), "pack_interleaved8: no interleaved form of this type");
  if (t == DType::kQ4_0) {
    pack(static_cast<const BlockQ4_0*>(src), nb, g0, g1, static_cast<BlockQ4_0x8*>(dst));
  } else {
    pack(static_cast<const BlockQ8_0*>(src), nb, g0, g1, static_cast<BlockQ8_0x8*>(dst));
  }
}

void unpack_interleaved8_row(DType t, const void* src, int64_t nb, int64_t row, void* out) {
  TB_CHECK(has_interleaved8(t), "unpack_interleaved8_row: no interleaved form of this type");
  if (t == DType::kQ4_0) {
    unpack_row(static_cast<const BlockQ4_0x8*>(src), nb, row, static_cast<BlockQ4_0*>(out));
  } else {
    unpack_row(static_cast<const BlockQ8_0x8*>(src), nb, row, static_cast<BlockQ8_0*>(out));
  }
}

}  // namespace turbine::cpu
