// Plain argument structs shared by the CPU op drivers (cpu_backend.cpp, matmul.cpp,
// attention.cpp) and the per-ISA kernels. No functions: the *_avx2/_avx512 files include this
// and must not instantiate code a portable file could link against.
#pragma once

#include <cstdint>

#include "base/dtype.h"
#include "base/rope_style.h"

namespace turbine::cpu {

// Activations of one matmul, quantized once (by the caller thread or a parallel pass) and read
// by every thread. Per row of k elements:
//   q8_0 (for Q4_0 / Q8_0 weights): qs[k], d[k / 32]        value = qs * d
//   q8_k (for Q4_K / Q6_K weights): qs[k], d[k / 256], bsums[k / 16] (sum of each 16 qs)
// Quants are symmetric in [-127, 127] (never -128: the AVX2 sign trick relies on it).
struct QuantizedRows {
  const int8_t* qs = nullptr;      // [n, k]
  const float* d = nullptr;        // [n, k / 32] or [n, k / 256]
  const int16_t* bsums = nullptr;  // [n, k / 16], q8_k only
  // q8_0, for kernels that ask (MatmulKernel::block_sums): d * sum(qs) of block b of row c at
  // block_sums[b * n + c] (block-major: a tile's rows are adjacent), then 4 floats of padding.
  const float* block_sums = nullptr;
  // Alongside block_sums: sum(qs) of the same blocks, unscaled, at the same index.
  const int32_t* block_qsums = nullptr;
};

// One thread's share of y[n, M] = x[n, k] * w[M, k]^T: weight rows [0, num_rows) of the panel
// (the caller offsets w and y) against all n activation rows.
struct MatmulPanel {
  const uint8_t* w = nullptr;  // first weight row of the panel
  int64_t w_stride = 0;        // bytes between weight rows
  int64_t num_rows = 0;
  int64_t k = 0;                     // input features, a multiple of the weight's block size
  int64_t n = 0;                     // activation rows
  const float* x = nullptr;          // [n, k] f32 activations (float weights)
  const uint16_t* x_bf16 = nullptr;  // [n, k] activations rounded to bf16 (ActFormat::kBF16)
  QuantizedRows xq;                  // quantized activations (ActFormat::kQ8_0 / kQ8_K)
  float* y = nullptr;                // y[c * ldy + r], r in [0, num_rows), c in [0, n)
  int64_t ldy = 0;
  // The calling thread's scratch, MatmulKernel::scratch_bytes(num_rows, k, n) bytes, 64-byte
  // aligned (null when that is 0): room to repack the panel's weights.
  uint8_t* scratch = nullptr;
};

// What a matmul kernel wants its activations as.
enum class ActFormat { kF32, kBF16, kQ8_0, kQ8_K };

// Paged attention over one layer (see AttentionBatch in backend.h for the meaning of the
// sequence fields). q and out are [num_tokens, num_heads, head_dim]; cache slot s of K holds
// [num_kv_heads, head_dim] elements of kv_dtype (f32, f16, bf16 or q8_0) at
// k_cache + s * slot_bytes, head h's row at h * head_bytes within it.
struct AttentionArgs {
  const float* q = nullptr;
  float* out = nullptr;
  const uint8_t* k_cache = nullptr;
  const uint8_t* v_cache = nullptr;
  DType kv_dtype = DType::kF16;
  int64_t slot_bytes = 0;  // row_bytes(kv_dtype, num_kv_heads * head_dim)
  int64_t head_bytes = 0;  // row_bytes(kv_dtype, head_dim)
  int64_t block_size = 0;
  int64_t num_heads = 0;
  int64_t num_kv_heads = 0;
  int64_t head_dim = 0;
  float scale = 1.0f;
  const int32_t* query_start = nullptr;   // [num_seqs + 1]
  const int32_t* seq_lens = nullptr;      // [num_seqs]
  const int32_t* block_tables = nullptr;  // [num_seqs, max_blocks_per_seq]
  int64_t max_blocks_per_seq = 0;
};

// One unit of attention work: query rows [q_begin, q_end) (rows of q, inside sequence seq's
// range) for every query head that reads KV head kv_head.
struct AttentionItem {
  int32_t seq;
  int32_t kv_head;
  int32_t q_begin;
  int32_t q_end;
};

// Cached tokens are visited in tiles of at most this many (widened to f32 in scratch).
constexpr int64_t kAttentionTileTokens = 32;
// A kernel's per-thread scratch (floats, 64-byte aligned), for Q = rows * (heads / kv_heads):
//   k_tile [kAttentionTileTokens, head_dim] | v_tile [kAttentionTileTokens, head_dim]
//   q_scaled [Q, head_dim] | acc [Q, head_dim] | running max [Q] | running sum [Q]

// Rotary embedding of x [num_tokens, num_heads, head_dim] in place; rows [begin, end) per call.
struct RopeArgs {
  float* x = nullptr;
  const int32_t* positions = nullptr;  // [num_tokens]
  int64_t num_heads = 0;
  int64_t head_dim = 0;             // even, at most kMaxRopeHeadDim
  const float* inv_freq = nullptr;  // [head_dim / 2]
  RopeStyle style = RopeStyle::kNeox;
};
constexpr int64_t kMaxRopeHeadDim = 1024;

}  // namespace turbine::cpu
