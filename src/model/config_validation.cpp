#include "model/config_validation.h"

#include <cmath>

namespace turbine {
namespace {

// Generous bounds: the largest public models are ~2^14 wide with vocabularies ~2^18 and
// contexts ~2^24; anything past these is a corrupted file, not a model.
constexpr int64_t kMaxWidth = int64_t(1) << 24;     // hidden, ffn, vocab, head_dim * heads
constexpr int64_t kMaxLayers = 4096;
constexpr int64_t kMaxHeads = 4096;
constexpr int64_t kMaxContext = int64_t(1) << 31;

Status check_range(const std::string& source, const char* field, int64_t v, int64_t max) {
  if (v <= 0 || v > max)
    return invalid_argument(source + ": " + field + " = " + std::to_string(v) + " is out of range [1, " +
                            std::to_string(max) + "]");
  return Status::ok();
}

}  // namespace

Status validate_model_config(const ModelConfig& c, const std::string& source) {
  TB_RETURN_IF_ERROR(check_range(source, "hidden_size", c.hidden_size, kMaxWidth));
  TB_RETURN_IF_ERROR(check_range(source, "num_layers", c.num_layers, kMaxLayers));
  TB_RETURN_IF_ERROR(check_range(source, "num_heads", c.num_heads, kMaxHeads));
  TB_RETURN_IF_ERROR(check_range(source, "num_kv_heads", c.num_kv_heads, kMaxHeads));
  TB_RETURN_IF_ERROR(check_range(source, "head_dim", c.head_dim, kMaxWidth / c.num_heads));
  TB_RETURN_IF_ERROR(check_range(source, "ffn_size", c.ffn_size, kMaxWidth));
  TB_RETURN_IF_ERROR(check_range(source, "vocab_size", c.vocab_size, kMaxWidth));
  TB_RETURN_IF_ERROR(check_range(source, "context_length", c.context_length, kMaxContext));
  if (c.num_heads % c.num_kv_heads != 0)
    return invalid_argument(source + ": num_heads = " + std::to_string(c.num_heads) +
                            " is not a multiple of num_kv_heads = " + std::to_string(c.num_kv_heads));
  if (c.head_dim % 2 != 0)
    return invalid_argument(source + ": head_dim = " + std::to_string(c.head_dim) + " is odd (RoPE pairs dimensions)");
  if (!std::isfinite(c.rms_norm_eps) || c.rms_norm_eps <= 0.0f || c.rms_norm_eps >= 1.0f)
    return invalid_argument(source + ": rms_norm_eps = " + std::to_string(c.rms_norm_eps) + " is not in (0, 1)");
  if (!std::isfinite(c.rope_theta) || c.rope_theta <= 1.0f)
    return invalid_argument(source + ": rope_theta = " + std::to_string(c.rope_theta) + " must be > 1");
  const auto& rs = c.rope_scaling;
  if (rs.type == RopeScaling::Type::kLlama3) {
    if (!(rs.factor >= 1.0f) || !std::isfinite(rs.factor) || !(rs.low_freq_factor > 0.0f) ||
        !(rs.high_freq_factor > rs.low_freq_factor) || !std::isfinite(rs.high_freq_factor) ||
        rs.original_context_length <= 0)
      return invalid_argument(source + ": llama3 rope scaling needs factor >= 1, 0 < low_freq_factor < "
                              "high_freq_factor and original_max_position_embeddings > 0");
  }
  if (!c.rope_freq_factors.empty()) {
    if (int64_t(c.rope_freq_factors.size()) != c.head_dim / 2)
      return invalid_argument(source + ": rope_freqs has " + std::to_string(c.rope_freq_factors.size()) +
                              " entries, expected head_dim / 2 = " + std::to_string(c.head_dim / 2));
    for (float f : c.rope_freq_factors)
      if (!std::isfinite(f) || f <= 0.0f)
        return invalid_argument(source + ": rope_freqs holds a non-positive or non-finite factor");
  }
  return Status::ok();
}

}  // namespace turbine
