// The tensors a checkpoint of a given ModelConfig holds: their Hugging Face and GGUF names and
// shapes, and the Q/K row permutation GGUF llama files carry. Shared by the loader and the
// writers so the two cannot drift apart. Pure functions; any thread.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "model/model_config.h"

namespace turbine {

enum class TensorRole {
  kTokenEmbedding, kOutputNorm, kOutput,
  kAttnNorm, kWq, kWk, kWv, kWo, kBq, kBk, kBv, kQNorm, kKNorm,
  kFfnNorm, kWGate, kWUp, kWDown,
};

struct TensorSpec {
  TensorRole role;
  int64_t layer = -1;          // -1 for model-level tensors
  std::string hf_name;         // "model.layers.3.mlp.up_proj.weight"
  std::string gguf_name;       // "blk.3.ffn_up.weight"
  std::vector<int64_t> shape;  // PyTorch order: [rows (out), cols (in)] or [n]
  bool is_matrix() const { return shape.size() == 2; }
};

// Every tensor a checkpoint of `config` must hold: model-level first, then layer by layer.
// Biases only with config.qkv_bias, q/k norms only with config.qk_norm, the output projection
// only when embeddings are not tied.
std::vector<TensorSpec> expected_tensors(const ModelConfig& config);

// GGUF lists dimensions innermost first: the reverse of the PyTorch shape.
std::vector<int64_t> gguf_dims(const std::vector<int64_t>& shape);

// llama.cpp's convert_hf_to_gguf.py LlamaModel.permute on a row-major [rows, cols] Q or K
// weight (n_head = num_heads for Q, num_kv_heads for K):
//   w.reshape(n_head, 2, head_dim/2, cols).swapaxes(1, 2).reshape(rows, cols)
// i.e. GGUF row h*head_dim + 2j + t holds HF row h*head_dim + t*head_dim/2 + j. GGUF llama files
// carry it so that interleaved RoPE on them equals NeoX RoPE on the Hugging Face weights.
std::vector<float> llama_permute_qk(const float* w, int64_t rows, int64_t cols, int64_t n_head);
std::vector<float> llama_unpermute_qk(const float* w, int64_t rows, int64_t cols, int64_t n_head);

// "[2048, 8192]", for error messages.
std::string shape_to_string(const std::vector<int64_t>& dims);

}  // namespace turbine
