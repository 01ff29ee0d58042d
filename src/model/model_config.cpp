#include "model/model_config.h"

namespace turbine {

std::string_view architecture_name(Architecture a) {
  switch (a) {
    case Architecture::kLlama: return "llama";
    case Architecture::kQwen2: return "qwen2";
    case Architecture::kQwen3: return "qwen3";
  }
  return "unknown";
}

int64_t ModelConfig::kv_bytes_per_token(DType kv_dtype) const {
  // K and V, each num_kv_heads * head_dim elements per layer.
  return 2 * num_layers * row_bytes(kv_dtype, num_kv_heads * head_dim);
}

}  // namespace turbine
