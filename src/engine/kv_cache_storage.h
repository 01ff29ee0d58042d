// The memory behind the paged KV cache: per layer, K and V arrays of num_blocks blocks, each
// [block_size, num_kv_heads, head_dim] elements of the KV dtype, laid out as KvLayerView says
// (q8_0: 34 bytes per 32 elements, 0.53x f16). Only storage: which block belongs to which
// sequence is the block pool's business. Owned by the engine thread.
#pragma once

#include <cstdint>
#include <vector>

#include "backend/backend.h"
#include "base/status.h"
#include "model/model_config.h"

namespace turbine {

struct KvCacheShape {
  int64_t num_blocks = 0;
  int64_t block_size = 16;     // tokens per block
  DType dtype = DType::kF16;   // f32, f16, bf16, or q8_0 (head_dim a multiple of 32)
};

class KvCacheStorage {
 public:
  // Allocates from `backend`; an unsupported dtype (q8_0 included, when the model's head_dim
  // is not a multiple of 32) or a zero size is an error.
  static Result<std::unique_ptr<KvCacheStorage>> create(Backend& backend, const ModelConfig& config,
                                                        const KvCacheShape& shape);
  ~KvCacheStorage();
  KvCacheStorage(const KvCacheStorage&) = delete;
  KvCacheStorage& operator=(const KvCacheStorage&) = delete;

  // Bytes one block takes over all layers, K and V (sizes a cache from a memory budget).
  static int64_t bytes_per_block(const ModelConfig& config, const KvCacheShape& shape);
  // Copies block `src`'s K and V into block `dst` in every layer (copy-on-write).
  void copy_block(int32_t src, int32_t dst);

  const KvLayerView& layer(int64_t i) const { return layers_[size_t(i)]; }
  const KvCacheShape& shape() const { return shape_; }
  int64_t num_bytes() const { return num_bytes_; }

 private:
  KvCacheStorage(Backend& backend) : backend_(backend) {}
  Backend& backend_;
  KvCacheShape shape_;
  std::vector<KvLayerView> layers_;
  int64_t num_bytes_ = 0;
  int64_t block_bytes_ = 0;  // one block of one layer's K (or V)
};

}  // namespace turbine
