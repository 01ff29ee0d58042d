// Register tiling of a matmul panel, shared by the SIMD kernels (templates only; included
// into each ISA's files, internal linkage). A kernel supplies a generic lambda
// `[&]<int R, int C>(int64_t r, int64_t c)` computing weight rows [r, r + R) against
// activation rows [c, c + C) over all k; for_each_tile covers the panel with it.
//
//   n >= 4:  column tiles of 4 activation rows x kRows weight rows: each weight block is loaded
//            once per 4 rows of x and reused from registers (GEMM, batched decode). Leftover
//            weight rows take tiles of 2, then 1.
//   n % 4:   the 1-3 leftover columns get taller tiles (kGemvRows x 1, 2 x 2, 2 x 3), so a
//            GEMV (n = 1) still keeps several independent weight rows in flight.
#pragma once

#include <cstdint>

namespace turbine::cpu {
namespace {

template <int R, int C, class Tile>
inline void tile_rows(int64_t num_rows, int64_t c, Tile& tile) {
  int64_t r = 0;
  for (; r + R <= num_rows; r += R) tile.template operator()<R, C>(r, c);
  if constexpr (R > 2) {  // a leftover pair still shares each activation load
    for (; r + 2 <= num_rows; r += 2) tile.template operator()<2, C>(r, c);
  }
  if constexpr (R > 1) {
    for (; r < num_rows; ++r) tile.template operator()<1, C>(r, c);
  }
}

template <int kRows, int kGemvRows = 4, class Tile>
inline void for_each_tile(int64_t num_rows, int64_t n, Tile&& tile) {
  int64_t c = 0;
  for (; c + 4 <= n; c += 4) tile_rows<kRows, 4>(num_rows, c, tile);
  switch (n - c) {
    case 3:
      tile_rows<2, 3>(num_rows, c, tile);
      break;
    case 2:
      tile_rows<2, 2>(num_rows, c, tile);
      break;
    case 1:
      tile_rows<kGemvRows, 1>(num_rows, c, tile);
      break;
    default:
      break;
  }
}

// GEMV tiles stream their weight rows from memory once: prefetch block b of the rows one tile
// further on (rows are contiguous, so that is where the next tile reads; a prefetch past the
// end of the matrix is harmless). Every 64-byte line of the block is touched.
template <int R, class Block>
inline void prefetch_next_rows(const Block* const (&w)[R], int64_t b, int64_t stride) {
#pragma GCC unroll 8
  for (int r = 0; r < R; ++r) {
    // Integer arithmetic: the last tile's next rows lie past the matrix, where a pointer may not.
    const uintptr_t next = reinterpret_cast<uintptr_t>(w[r] + b) + uintptr_t(R * stride);
#pragma GCC unroll 4
    for (uintptr_t off = 0; off < sizeof(Block); off += 64)
      __builtin_prefetch(reinterpret_cast<const void*>(next + off), 0, 3);
  }
}

// The same for a tile whose R rows are contiguous (a dense matrix, stride = nb blocks): the
// next tile's R * stride bytes are prefetched as one linear run, `step` = ceil(R * stride / nb)
// bytes per block step, so each line is asked for about once. Consecutive addresses are at
// most 64 bytes apart, so every line is touched. In a Q4_0 GEMV on Zen 3 this streamed about
// 20% faster than prefetch_next_rows, and with no software prefetch at all the same kernel
// streamed at about 55% of it.
inline void prefetch_next_tile(const void* tile_start, int64_t tile_bytes, int64_t b,
                               int64_t step) {
  const uintptr_t next = reinterpret_cast<uintptr_t>(tile_start) + uintptr_t(tile_bytes + b * step);
  for (int64_t off = 0; off < step; off += 64)
    __builtin_prefetch(reinterpret_cast<const void*>(next + uintptr_t(off)), 0, 3);
}

// How far ahead a GEMV prefetches in each stream it reads (prefetch_ahead). About 1 KiB ran
// the interleaved Q4_0 and Q8_0 GEMVs fastest in a whole decode on Zen 3 (docs/benchmarks.md):
// far enough ahead to hide the memory latency, near enough that the lines still sit in L1.
constexpr int64_t kPrefetchAheadBytes = 1024;

// The address of the block about kPrefetchAheadBytes past block b of `stream`. Integer
// arithmetic: past the end of the matrix no pointer may go, but a prefetch there is harmless.
template <class Block>
inline uintptr_t block_ahead(const Block* stream, int64_t b) {
  constexpr int64_t kSize = sizeof(Block);
  constexpr int64_t kBlocks = (kPrefetchAheadBytes + kSize - 1) / kSize;
  return reinterpret_cast<uintptr_t>(stream) + uintptr_t((b + kBlocks) * kSize);
}

// For a tile that reads `stream` (an array of blocks) front to back, now at block b: prefetch
// block_ahead, every 64-byte line of it.
template <class Block>
inline void prefetch_ahead(const Block* stream, int64_t b) {
  constexpr int64_t kSize = sizeof(Block);
  const uintptr_t next = block_ahead(stream, b);
#pragma GCC unroll 8
  for (int64_t off = 0; off < kSize; off += 64)
    __builtin_prefetch(reinterpret_cast<const void*>(next + uintptr_t(off)), 0, 3);
}

// prefetch_ahead for blocks of several lines (the interleaved K-quants, 1152-1680 bytes): a
// tile that works through block b in kParts steps prefetches, at step `part`, that share of the
// block prefetch_ahead would fetch, so the lines are asked for as fast as they are read rather
// than in bursts of a whole block (which streamed Q4_K and Q6_K about 1.3x slower on Zen 3:
// docs/benchmarks.md).
template <int kParts, class Block>
inline void prefetch_ahead_part(const Block* stream, int64_t b, int part) {
  constexpr int64_t kSize = sizeof(Block);
  const uintptr_t start = block_ahead(stream, b);
  // Every line that meets [start + part * kSize / kParts, start + (part + 1) * kSize / kParts).
  const uintptr_t lo = (start + uintptr_t(part * kSize / kParts)) & ~uintptr_t(63);
  const uintptr_t hi = start + uintptr_t((part + 1) * kSize / kParts);
  for (uintptr_t a = lo; a < hi; a += 64)
    __builtin_prefetch(reinterpret_cast<const void*>(a), 0, 3);
}

}  // namespace
}  // namespace turbine::cpu
