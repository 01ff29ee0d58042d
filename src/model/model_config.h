// Architecture hyper-parameters of a decoder-only transformer, as read from GGUF metadata or a
// Hugging Face config.json. No compute here. Immutable after load; any thread.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/dtype.h"
#include "base/rope_style.h"

namespace turbine {

enum class Architecture { kLlama, kQwen2, kQwen3 };
std::string_view architecture_name(Architecture a);  // "llama", "qwen2", "qwen3"

struct RopeScaling {
  enum class Type { kNone, kLlama3 } type = Type::kNone;
  float factor = 1.0f;
  float low_freq_factor = 1.0f;
  float high_freq_factor = 4.0f;
  int64_t original_context_length = 8192;
};

struct ModelConfig {
  Architecture arch = Architecture::kLlama;
  int64_t vocab_size = 0;
  int64_t hidden_size = 0;
  int64_t num_layers = 0;
  int64_t num_heads = 0;
  int64_t num_kv_heads = 0;
  int64_t head_dim = 0;  // usually hidden_size / num_heads; Qwen3 sets it independently
  int64_t ffn_size = 0;  // intermediate size of the gated MLP
  int64_t context_length = 0;
  float rms_norm_eps = 1e-5f;
  float rope_theta = 10000.0f;
  RopeStyle rope_style = RopeStyle::kNeox;
  RopeScaling rope_scaling;
  // Per-frequency divisors from a GGUF `rope_freqs.weight` tensor [head_dim / 2] (how llama.cpp
  // stores llama3 rope scaling): inv_freq[i] /= rope_freq_factors[i]. Empty when absent; when
  // present it replaces rope_scaling.
  std::vector<float> rope_freq_factors;
  bool tied_embeddings = false;  // output projection is the token embedding matrix
  bool qkv_bias = false;         // Qwen2: biases on q, k, v projections
  bool qk_norm = false;          // Qwen3: RMSNorm over each head of q and k before RoPE

  // Bytes of KV cache one token takes across all layers with elements of `kv_dtype`.
  int64_t kv_bytes_per_token(DType kv_dtype) const;
};

// The llama3 rope-scaling rule (transformers' _compute_llama3_parameters) as per-frequency
// divisors [head_dim / 2], the form GGUF stores in `rope_freqs.weight`: long wavelengths are
// slowed by `factor`, short ones kept, the band between interpolated.
std::vector<float> llama3_rope_freq_factors(const ModelConfig& config);

}  // namespace turbine
