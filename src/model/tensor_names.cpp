#include "model/tensor_names.h"

#include <cstring>

#include "base/check.h"

namespace turbine {
namespace {

struct LayerTensor {
  TensorRole role;
  const char* hf_suffix;    // after "model.layers.N."
  const char* gguf_suffix;  // after "blk.N."
};

constexpr LayerTensor kLayerTensors[] = {
    {TensorRole::kAttnNorm, "input_layernorm.weight", "attn_norm.weight"},
    {TensorRole::kWq, "self_attn.q_proj.weight", "attn_q.weight"},
    {TensorRole::kWk, "self_attn.k_proj.weight", "attn_k.weight"},
    {TensorRole::kWv, "self_attn.v_proj.weight", "attn_v.weight"},
    {TensorRole::kWo, "self_attn.o_proj.weight", "attn_output.weight"},
    {TensorRole::kBq, "self_attn.q_proj.bias", "attn_q.bias"},
    {TensorRole::kBk, "self_attn.k_proj.bias", "attn_k.bias"},
    {TensorRole::kBv, "self_attn.v_proj.bias", "attn_v.bias"},
    {TensorRole::kQNorm, "self_attn.q_norm.weight", "attn_q_norm.weight"},
    {TensorRole::kKNorm, "self_attn.k_norm.weight", "attn_k_norm.weight"},
    {TensorRole::kFfnNorm, "post_attention_layernorm.weight", "ffn_norm.weight"},
    {TensorRole::kWGate, "mlp.gate_proj.weight", "ffn_gate.weight"},
    {TensorRole::kWUp, "mlp.up_proj.weight", "ffn_up.weight"},
    {TensorRole::kWDown, "mlp.down_proj.weight", "ffn_down.weight"},
};

std::vector<int64_t> layer_shape(TensorRole role, const ModelConfig& c) {
  const int64_t q = c.num_heads * c.head_dim, kv = c.num_kv_heads * c.head_dim;
  switch (role) {
    case TensorRole::kAttnNorm: case TensorRole::kFfnNorm: return {c.hidden_size};
    case TensorRole::kWq: return {q, c.hidden_size};
    case TensorRole::kWk: case TensorRole::kWv: return {kv, c.hidden_size};
    case TensorRole::kWo: return {c.hidden_size, q};
    case TensorRole::kBq: return {q};
    case TensorRole::kBk: case TensorRole::kBv: return {kv};
    case TensorRole::kQNorm: case TensorRole::kKNorm: return {c.head_dim};
    case TensorRole::kWGate: case TensorRole::kWUp: return {c.ffn_size, c.hidden_size};
    case TensorRole::kWDown: return {c.hidden_size, c.ffn_size};
    default: TB_CHECK(false, "not a layer tensor");
  }
}

bool layer_has(TensorRole role, const ModelConfig& c) {
  switch (role) {
    case TensorRole::kBq: case TensorRole::kBk: case TensorRole::kBv: return c.qkv_bias;
    case TensorRole::kQNorm: case TensorRole::kKNorm: return c.qk_norm;
    default: return true;
  }
}

}  // namespace

std::vector<TensorSpec> expected_tensors(const ModelConfig& c) {
  std::vector<TensorSpec> out;
  out.push_back({TensorRole::kTokenEmbedding, -1, "model.embed_tokens.weight", "token_embd.weight",
                 {c.vocab_size, c.hidden_size}});
  out.push_back({TensorRole::kOutputNorm, -1, "model.norm.weight", "output_norm.weight", {c.hidden_size}});
  if (!c.tied_embeddings)
    out.push_back({TensorRole::kOutput, -1, "lm_head.weight", "output.weight", {c.vocab_size, c.hidden_size}});
  for (int64_t l = 0; l < c.num_layers; ++l) {
    const std::string hf = "model.layers." + std::to_string(l) + ".";
    const std::string gg = "blk." + std::to_string(l) + ".";
    for (const auto& t : kLayerTensors)
      if (layer_has(t.role, c))
        out.push_back({t.role, l, hf + t.hf_suffix, gg + t.gguf_suffix, layer_shape(t.role, c)});
  }
  return out;
}

std::vector<int64_t> gguf_dims(const std::vector<int64_t>& shape) {
  return {shape.rbegin(), shape.rend()};
}

std::vector<float> llama_permute_qk(const float* w, int64_t rows, int64_t cols, int64_t n_head) {
  TB_CHECK(n_head > 0 && rows % (2 * n_head) == 0, "Q/K rows not divisible by 2 * n_head");
  const int64_t head_dim = rows / n_head, half = head_dim / 2;
  std::vector<float> out(size_t(rows * cols));
  for (int64_t h = 0; h < n_head; ++h)
    for (int64_t j = 0; j < half; ++j)
      for (int64_t t = 0; t < 2; ++t) {
        const int64_t dst = h * head_dim + 2 * j + t, src = h * head_dim + t * half + j;
        std::memcpy(&out[size_t(dst * cols)], w + src * cols, size_t(cols) * sizeof(float));
      }
  return out;
}

std::vector<float> llama_unpermute_qk(const float* w, int64_t rows, int64_t cols, int64_t n_head) {
  TB_CHECK(n_head > 0 && rows % (2 * n_head) == 0, "Q/K rows not divisible by 2 * n_head");
  const int64_t head_dim = rows / n_head, half = head_dim / 2;
  std::vector<float> out(size_t(rows * cols));
  for (int64_t h = 0; h < n_head; ++h)
    for (int64_t j = 0; j < half; ++j)
      for (int64_t t = 0; t < 2; ++t) {
        const int64_t src = h * head_dim + 2 * j + t, dst = h * head_dim + t * half + j;
        std::memcpy(&out[size_t(dst * cols)], w + src * cols, size_t(cols) * sizeof(float));
      }
  return out;
}

std::string shape_to_string(const std::vector<int64_t>& dims) {
  std::string s = "[";
  for (size_t i = 0; i < dims.size(); ++i) s += (i ? ", " : "") + std::to_string(dims[i]);
  return s + "]";
}

}  // namespace turbine
