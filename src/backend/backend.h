// The device abstraction the engine computes with. One instance per engine; only the engine
// thread calls it. Pointers passed to ops are host memory for the CPU backend; a device backend
// takes pointers from its own alloc(). Shapes are row-major; [n, d] means n rows of d floats.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "base/dtype.h"
#include "base/matrix_view.h"
#include "base/rope_style.h"
#include "base/status.h"

namespace turbine {

// One layer's paged KV cache. Slot s (= block * block_size + offset) of K holds
// [num_kv_heads, head_dim] elements of `dtype` (see is_kv_dtype): the
// S = row_bytes(dtype, num_kv_heads * head_dim) bytes at byte s * S; V likewise. In q8_0 each
// head's head_dim elements are head_dim / 32 BlockQ8_0 (34 bytes per 32 elements).
struct KvLayerView {
  void* k = nullptr;
  void* v = nullptr;
  DType dtype = DType::kF16;
  int64_t block_size = 16;
  int64_t num_kv_heads = 0;
  int64_t head_dim = 0;
};

// Whether a KV cache may hold elements of t: f32, f16, bf16, or q8_0 when head_dim is a
// multiple of 32 (so each head's row is whole blocks).
inline bool is_kv_dtype(DType t, int64_t head_dim) {
  if (t == DType::kQ8_0) return head_dim % kQK == 0;
  return t == DType::kF32 || t == DType::kF16 || t == DType::kBF16;
}

// Which queries attend to which cached tokens. Sequence s owns query rows
// [query_start[s], query_start[s+1]); its context after this step is seq_lens[s] tokens, so its
// query row j sits at position seq_lens[s] - q_len + j and attends causally to positions <= that.
// Token t of sequence s lives in slot block_tables[s * max_blocks_per_seq + t / block_size] *
// block_size + t % block_size.
struct AttentionBatch {
  int64_t num_seqs = 0;
  const int32_t* query_start = nullptr;  // [num_seqs + 1]
  const int32_t* seq_lens = nullptr;     // [num_seqs]
  const int32_t* block_tables = nullptr; // [num_seqs, max_blocks_per_seq]
  int64_t max_blocks_per_seq = 0;
};

// A weight matrix as a backend computes with it (Backend::prepare_weight): either the caller's
// view itself (storage null) or a copy in the backend's own layout or memory, kept alive by
// `storage` for as long as the view is used.
struct PreparedWeight {
  MatrixView view;
  std::shared_ptr<const void> storage;
};

class Backend {
 public:
  virtual ~Backend() = default;
  virtual std::string name() const = 0;  // "cpu (avx2, 2 threads)"

  virtual void* alloc(size_t bytes) = 0;  // 64-byte aligned, zeroed
  virtual void free(void* p) = 0;
  // Copies bytes between two buffers of this backend (a KV block before copy-on-write).
  virtual void copy(void* dst, const void* src, size_t bytes) = 0;

  // The matrix w in the form matmul and get_rows run fastest on, made once at load. The result
  // computes the same products as w. A backend with nothing to change returns w itself (so w's
  // memory must stay alive); one that copies returns the copy, and w is no longer read. Fails
  // (kResourceExhausted) when the copy does not fit in memory.
  virtual Result<PreparedWeight> prepare_weight(const MatrixView& w) {
    return PreparedWeight{w, nullptr};
  }

  // y[n, w.rows] = x[n, w.cols] * w^T
  virtual void matmul(const MatrixView& w, const float* x, int64_t n, float* y) = 0;
  // y[i, :] = row ids[i] of w, dequantized: y [n, w.cols]. Precondition: ids in [0, w.rows).
  virtual void get_rows(const MatrixView& w, const int32_t* ids, int64_t n, float* y) = 0;
  // y[i, :] = x[i, :] / rms(x[i, :]) * weight, for n rows of `dim`; y may equal x.
  virtual void rms_norm(const float* x, const float* weight, int64_t n, int64_t dim, float eps,
                        float* y) = 0;
  // Rotates x [n, num_heads, head_dim] in place; token i at positions[i]; inv_freq [head_dim/2]
  // already holds any frequency scaling.
  virtual void rope(float* x, const int32_t* positions, int64_t n, int64_t num_heads,
                    int64_t head_dim, const float* inv_freq, RopeStyle style) = 0;
  // out[i] = silu(gate[i]) * up[i] for n elements.
  virtual void silu_mul(const float* gate, const float* up, int64_t n, float* out) = 0;
  // y[i] += x[i] for n elements.
  virtual void add(float* y, const float* x, int64_t n) = 0;
  // x[r, :] += bias for n rows of dim.
  virtual void add_bias(float* x, const float* bias, int64_t n, int64_t dim) = 0;

  // Writes k, v [n, num_kv_heads * head_dim] into the cache at slots[i], rounded to kv.dtype
  // (f16 / bf16: to nearest even; q8_0: per 32 elements d = absmax / 127, quants x / d rounded
  // to nearest even, d stored as f16).
  virtual void store_kv(const KvLayerView& kv, const float* k, const float* v,
                        const int32_t* slots, int64_t n) = 0;
  // out [n, num_heads * head_dim] = softmax(q k^T * scale) v over each sequence's cached
  // context, causal, grouped-query (query head h reads KV head h / (num_heads / num_kv_heads)).
  virtual void attention(const float* q, const KvLayerView& kv, const AttentionBatch& batch,
                         int64_t num_heads, float scale, float* out) = 0;
};

struct CpuBackendOptions {
  int num_threads = 0;  // 0: one per core the process may use
  // "auto" picks the best the CPU supports; "avx512", "avx2" or "generic" force one (tests
  // compare them). An ISA the CPU lacks is refused.
  std::string isa = "auto";
};
Result<std::unique_ptr<Backend>> make_cpu_backend(const CpuBackendOptions& options);

}  // namespace turbine
