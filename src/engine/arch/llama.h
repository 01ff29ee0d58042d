// The forward pass of the Llama family: Llama 2/3/3.x, Mistral, Qwen2/2.5 (q/k/v biases) and
// Qwen3 (RMSNorm over each q/k head). Pre-norm blocks, grouped-query attention with RoPE over a
// paged KV cache, SiLU-gated MLP. Written with backend ops only; engine thread.
#pragma once

#include <vector>

#include "backend/backend.h"
#include "engine/activations.h"
#include "engine/forward_batch.h"
#include "engine/kv_cache_storage.h"
#include "model/model_config.h"
#include "model/model_weights.h"

namespace turbine {

class LlamaForward {
 public:
  LlamaForward(const ModelConfig& config, const ModelWeights& weights);

  // Runs every layer over batch.token_ids, writing their K/V into `kv`, and leaves the
  // logits of batch.logit_rows in logits [num_logits, vocab].
  // Preconditions: token ids in range; act reserved for the batch.
  void forward(Backend& backend, const KvCacheStorage& kv, const ForwardBatch& batch,
               Activations& act, float* logits) const;

  const std::vector<float>& inv_freq() const { return inv_freq_; }

 private:
  void attention_block(Backend& backend, int64_t layer, const KvLayerView& kv,
                       const ForwardBatch& batch, const AttentionBatch& ab, Activations& act) const;
  void mlp_block(Backend& backend, int64_t layer, int64_t n, Activations& act) const;

  const ModelConfig& config_;
  const ModelWeights& weights_;
  std::vector<float> inv_freq_;  // [head_dim / 2], scaling applied
};

// RoPE inverse frequencies with the model's scaling (llama3 rule, or GGUF per-frequency
// factors): inv_freq[i] = theta^(-2i/d), adjusted.
std::vector<float> rope_inv_freq(const ModelConfig& config);

}  // namespace turbine
