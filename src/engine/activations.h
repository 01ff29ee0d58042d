// Scratch activations for one forward step, sized for a number of tokens and grown on demand
// (only when a bigger batch than ever before arrives, so steady-state steps never allocate).
// Owned by the engine thread.
#pragma once

#include <cstdint>
#include <vector>

#include "backend/backend.h"
#include "model/model_config.h"

namespace turbine {

class Activations {
 public:
  Activations(Backend& backend, const ModelConfig& config) : backend_(backend), config_(config) {}
  ~Activations();
  Activations(const Activations&) = delete;
  Activations& operator=(const Activations&) = delete;

  // Ensures room for num_tokens rows and num_logits rows of logits.
  void reserve(int64_t num_tokens, int64_t num_logits);

  //               shape
  float* x;        // [tokens, hidden]        residual stream
  float* xn;       // [tokens, hidden]        normalised input of a block
  float* q;        // [tokens, heads * head_dim]
  float* k;        // [tokens, kv_heads * head_dim]
  float* v;        // [tokens, kv_heads * head_dim]
  float* attn;     // [tokens, heads * head_dim]  attention output
  float* gate;     // [tokens, ffn]
  float* up;       // [tokens, ffn]
  float* out;      // [tokens, hidden]        a block's output before the residual add
  float* last;     // [logits, hidden]        normalised rows whose logits are wanted

 private:
  void release();
  Backend& backend_;
  const ModelConfig& config_;
  int64_t capacity_tokens_ = 0;
  int64_t capacity_logits_ = 0;
  std::vector<void*> owned_;
};

}  // namespace turbine
