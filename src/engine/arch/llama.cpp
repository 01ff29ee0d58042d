#include "engine/arch/llama.h"

#include <cmath>

#include "base/check.h"

namespace turbine {

std::vector<float> rope_inv_freq(const ModelConfig& c) {
  std::vector<float> divisors = c.rope_freq_factors;
  if (divisors.empty() && c.rope_scaling.type == RopeScaling::Type::kLlama3)
    divisors = llama3_rope_freq_factors(c);
  const int64_t half = c.head_dim / 2;
  std::vector<float> inv(static_cast<size_t>(half));
  for (int64_t i = 0; i < half; ++i) {
    double f = 1.0 / std::pow(double(c.rope_theta), double(2 * i) / double(c.head_dim));
    if (!divisors.empty()) f /= double(divisors[size_t(i)]);
    inv[size_t(i)] = float(f);
  }
  return inv;
}

LlamaForward::LlamaForward(const ModelConfig& config, const ModelWeights& weights)
    : config_(config), weights_(weights), inv_freq_(rope_inv_freq(config)) {
  TB_CHECK(int64_t(weights.layers.size()) == config.num_layers);
}

void LlamaForward::attention_block(Backend& be, int64_t l, const KvLayerView& kv,
                                   const ForwardBatch& batch, const AttentionBatch& ab,
                                   Activations& a) const {
  const auto& c = config_;
  const auto& w = weights_.layers[size_t(l)];
  const int64_t n = batch.num_tokens();
  be.rms_norm(a.x, w.attn_norm.data(), n, c.hidden_size, c.rms_norm_eps, a.xn);
  be.matmul(w.wq, a.xn, n, a.q);
  be.matmul(w.wk, a.xn, n, a.k);
  be.matmul(w.wv, a.xn, n, a.v);
  if (c.qkv_bias) {
    be.add_bias(a.q, w.bq.data(), n, c.num_heads * c.head_dim);
    be.add_bias(a.k, w.bk.data(), n, c.num_kv_heads * c.head_dim);
    be.add_bias(a.v, w.bv.data(), n, c.num_kv_heads * c.head_dim);
  }
  if (c.qk_norm) {  // Qwen3: per-head RMSNorm, before RoPE
    be.rms_norm(a.q, w.q_norm.data(), n * c.num_heads, c.head_dim, c.rms_norm_eps, a.q);
    be.rms_norm(a.k, w.k_norm.data(), n * c.num_kv_heads, c.head_dim, c.rms_norm_eps, a.k);
  }
  be.rope(a.q, batch.positions.data(), n, c.num_heads, c.head_dim, inv_freq_.data(), c.rope_style);
  be.rope(a.k, batch.positions.data(), n, c.num_kv_heads, c.head_dim, inv_freq_.data(), c.rope_style);
  be.store_kv(kv, a.k, a.v, batch.slots.data(), n);
  be.attention(a.q, kv, ab, c.num_heads, 1.0f / std::sqrt(float(c.head_dim)), a.attn);
  be.matmul(w.wo, a.attn, n, a.out);
  be.add(a.x, a.out, n * c.hidden_size);
}

void LlamaForward::mlp_block(Backend& be, int64_t l, int64_t n, Activations& a) const {
  const auto& c = config_;
  const auto& w = weights_.layers[size_t(l)];
  be.rms_norm(a.x, w.ffn_norm.data(), n, c.hidden_size, c.rms_norm_eps, a.xn);
  be.matmul(w.w_gate, a.xn, n, a.gate);
  be.matmul(w.w_up, a.xn, n, a.up);
  be.silu_mul(a.gate, a.up, n * c.ffn_size, a.gate);
  be.matmul(w.w_down, a.gate, n, a.out);
  be.add(a.x, a.out, n * c.hidden_size);
}

void LlamaForward::forward(Backend& be, const KvCacheStorage& kv, const ForwardBatch& batch,
                           Activations& a, float* logits) const {
  const auto& c = config_;
  const int64_t n = batch.num_tokens();
  AttentionBatch ab;
  ab.num_seqs = batch.num_seqs();
  ab.query_start = batch.query_start.data();
  ab.seq_lens = batch.seq_lens.data();
  ab.block_tables = batch.block_tables.data();
  ab.max_blocks_per_seq = batch.max_blocks_per_seq;

  be.get_rows(weights_.token_embedding, batch.token_ids.data(), n, a.x);
  for (int64_t l = 0; l < c.num_layers; ++l) {
    attention_block(be, l, kv.layer(l), batch, ab, a);
    mlp_block(be, l, n, a);
  }
  // Only the rows whose logits are wanted go through the final norm and the vocab projection.
  const int64_t num_logits = int64_t(batch.logit_rows.size());
  for (int64_t i = 0; i < num_logits; ++i) {
    const float* row = a.x + int64_t(batch.logit_rows[size_t(i)]) * c.hidden_size;
    be.rms_norm(row, weights_.output_norm.data(), 1, c.hidden_size, c.rms_norm_eps,
                a.last + i * c.hidden_size);
  }
  if (num_logits > 0) be.matmul(weights_.output, a.last, num_logits, logits);
}

}  // namespace turbine
