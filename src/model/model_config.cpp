#include "model/model_config.h"

#include <cmath>

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

std::vector<float> llama3_rope_freq_factors(const ModelConfig& c) {
  const auto& rs = c.rope_scaling;
  const double old_ctx = double(rs.original_context_length);
  const double low_wavelen = old_ctx / rs.low_freq_factor, high_wavelen = old_ctx / rs.high_freq_factor;
  std::vector<float> factors;
  for (int64_t i = 0; i < c.head_dim / 2; ++i) {
    const double freq = 1.0 / std::pow(double(c.rope_theta), double(2 * i) / double(c.head_dim));
    const double wavelen = 2.0 * M_PI / freq;
    if (wavelen < high_wavelen) {
      factors.push_back(1.0f);
    } else if (wavelen > low_wavelen) {
      factors.push_back(rs.factor);
    } else {
      const double smooth = (old_ctx / wavelen - rs.low_freq_factor) / (rs.high_freq_factor - rs.low_freq_factor);
      factors.push_back(float(1.0 / ((1.0 - smooth) / rs.factor + smooth)));
    }
  }
  return factors;
}

}  // namespace turbine
