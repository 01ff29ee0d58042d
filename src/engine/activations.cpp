#include "engine/activations.h"

#include <algorithm>

#include "base/check.h"

namespace turbine {

Activations::~Activations() { release(); }

void Activations::release() {
  for (void* p : owned_) backend_.free(p);
  owned_.clear();
}

void Activations::reserve(int64_t num_tokens, int64_t num_logits) {
  if (num_tokens <= capacity_tokens_ && num_logits <= capacity_logits_) return;
  capacity_tokens_ = std::max(capacity_tokens_, num_tokens);
  capacity_logits_ = std::max(capacity_logits_, num_logits);
  release();
  auto take = [&](int64_t floats) {
    void* p = backend_.alloc(size_t(std::max<int64_t>(floats, 1)) * sizeof(float));
    TB_CHECK(p != nullptr, "out of memory for activations");
    owned_.push_back(p);
    return static_cast<float*>(p);
  };
  const int64_t t = capacity_tokens_;
  const auto& c = config_;
  x = take(t * c.hidden_size);
  xn = take(t * c.hidden_size);
  q = take(t * c.num_heads * c.head_dim);
  k = take(t * c.num_kv_heads * c.head_dim);
  v = take(t * c.num_kv_heads * c.head_dim);
  attn = take(t * c.num_heads * c.head_dim);
  gate = take(t * c.ffn_size);
  up = take(t * c.ffn_size);
  out = take(t * c.hidden_size);
  last = take(capacity_logits_ * c.hidden_size);
}

}  // namespace turbine
