#include "engine/kv_cache_storage.h"

#include <string>

namespace turbine {
namespace {

// Bytes of one slot (one token of one layer's K, or V). A head_dim that is not whole blocks of
// `t` (which create refuses) is rounded up, so a size computed before create is never 0.
int64_t slot_bytes(const ModelConfig& config, DType t) {
  const int64_t block = dtype_traits(t).block_elems;
  return config.num_kv_heads * row_bytes(t, (config.head_dim + block - 1) / block * block);
}

}  // namespace

Result<std::unique_ptr<KvCacheStorage>> KvCacheStorage::create(Backend& backend,
                                                               const ModelConfig& config,
                                                               const KvCacheShape& shape) {
  if (!is_kv_dtype(shape.dtype, config.head_dim)) {
    if (shape.dtype == DType::kQ8_0) {
      return unsupported("KV cache dtype q8_0 needs head_dim a multiple of 32; this model's is " +
                         std::to_string(config.head_dim) + " (use f16, bf16 or f32)");
    }
    return unsupported("KV cache dtype " + std::string(dtype_name(shape.dtype)) +
                       " is not supported (f32, f16, bf16, q8_0)");
  }
  if (shape.num_blocks <= 0 || shape.block_size <= 0)
    return invalid_argument("KV cache needs at least one block of at least one token");
  std::unique_ptr<KvCacheStorage> kv(new KvCacheStorage(backend));
  kv->shape_ = shape;
  kv->block_bytes_ = shape.block_size * slot_bytes(config, shape.dtype);
  const int64_t bytes_per_array = shape.num_blocks * kv->block_bytes_;
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

int64_t KvCacheStorage::bytes_per_block(const ModelConfig& config, const KvCacheShape& shape) {
  return 2 * config.num_layers * shape.block_size * slot_bytes(config, shape.dtype);
}

void KvCacheStorage::copy_block(int32_t src, int32_t dst) {
  TB_CHECK(src >= 0 && src < shape_.num_blocks && dst >= 0 && dst < shape_.num_blocks,
           "KV block copy outside the cache");
  const size_t bytes = size_t(block_bytes_);
  for (const KvLayerView& l : layers_) {
    backend_.copy(static_cast<char*>(l.k) + size_t(dst) * bytes, static_cast<const char*>(l.k) + size_t(src) * bytes, bytes);
    backend_.copy(static_cast<char*>(l.v) + size_t(dst) * bytes, static_cast<const char*>(l.v) + size_t(src) * bytes, bytes);
  }
}

KvCacheStorage::~KvCacheStorage() {
  for (auto& l : layers_) {
    backend_.free(l.k);
    backend_.free(l.v);
  }
}

}  // namespace turbine
