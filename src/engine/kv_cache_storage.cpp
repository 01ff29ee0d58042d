#include "engine/kv_cache_storage.h"

#include <string>

namespace turbine {

Result<std::unique_ptr<KvCacheStorage>> KvCacheStorage::create(Backend& backend,
                                                               const ModelConfig& config,
                                                               const KvCacheShape& shape) {
  if (shape.dtype != DType::kF32 && shape.dtype != DType::kF16 && shape.dtype != DType::kBF16)
    return unsupported("KV cache dtype " + std::string(dtype_name(shape.dtype)) +
                       " is not supported (f32, f16, bf16)");
  if (shape.num_blocks <= 0 || shape.block_size <= 0)
    return invalid_argument("KV cache needs at least one block of at least one token");
  std::unique_ptr<KvCacheStorage> kv(new KvCacheStorage(backend));
  kv->shape_ = shape;
  const int64_t bytes_per_array =
      shape.num_blocks * shape.block_size * row_bytes(shape.dtype, config.num_kv_heads * config.head_dim);
  for (int64_t l = 0; l < config.num_layers; ++l) {
    KvLayerView view;
    view.k = backend.alloc(size_t(bytes_per_array));
    view.v = backend.alloc(size_t(bytes_per_array));
    if (view.k == nullptr || view.v == nullptr) {
      if (view.k) backend.free(view.k);
      if (view.v) backend.free(view.v);
      return Status(ErrorCode::kResourceExhausted,
                    "cannot allocate " + std::to_string(bytes_per_array * 2 * config.num_layers) +
                        " bytes of KV cache");
    }
    view.dtype = shape.dtype;
    view.block_size = shape.block_size;
    view.num_kv_heads = config.num_kv_heads;
    view.head_dim = config.head_dim;
    kv->layers_.push_back(view);
    kv->num_bytes_ += 2 * bytes_per_array;
  }
  return kv;
}

KvCacheStorage::~KvCacheStorage() {
  for (auto& l : layers_) {
    backend_.free(l.k);
    backend_.free(l.v);
  }
}

}  // namespace turbine
