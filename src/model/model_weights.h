// Per-layer weight views of a loaded checkpoint. Matrices point into the memory-mapped file
// (or into buffers owned by `storage`); norm vectors and biases are small and kept as f32.
// Immutable after load; any thread.
#pragma once

#include <memory>
#include <vector>

#include "base/matrix_view.h"

namespace turbine {

struct LayerWeights {
  std::vector<float> attn_norm;            // [hidden]
  MatrixView wq, wk, wv, wo;               // wq [heads*head_dim, hidden], wk/wv [kv_heads*head_dim, hidden], wo [hidden, heads*head_dim]
  std::vector<float> bq, bk, bv;           // empty unless config.qkv_bias
  std::vector<float> q_norm, k_norm;       // [head_dim], empty unless config.qk_norm
  std::vector<float> ffn_norm;             // [hidden]
  MatrixView w_gate, w_up, w_down;         // gate/up [ffn, hidden], down [hidden, ffn]
};

struct ModelWeights {
  MatrixView token_embedding;  // [vocab, hidden]
  std::vector<LayerWeights> layers;
  std::vector<float> output_norm;  // [hidden]
  MatrixView output;               // [vocab, hidden]; equals token_embedding when tied
  // Keeps the mappings and any converted buffers alive as long as the views are used.
  std::vector<std::shared_ptr<const void>> storage;
};

}  // namespace turbine
