// Picks the next token from a row of logits: penalties, temperature, top-k, top-p, min-p, then
// a draw from the request's own generator, so a seed reproduces the same tokens. One
// SamplerState per sequence; engine thread.
#pragma once

#include <cstdint>
#include <optional>
#include <random>
#include <unordered_map>
#include <vector>

namespace turbine {

struct SamplingParams {
  float temperature = 1.0f;         // 0: greedy
  int32_t top_k = 0;                // 0 or <0: off
  float top_p = 1.0f;               // 1: off
  float min_p = 0.0f;               // 0: off; keeps tokens with p >= min_p * p_max
  float repetition_penalty = 1.0f;  // 1: off; over prompt and output tokens (HF / llama.cpp rule)
  float presence_penalty = 0.0f;    // OpenAI rule, over output tokens
  float frequency_penalty = 0.0f;   // OpenAI rule, over output tokens
  std::optional<uint64_t> seed;     // unset: a random seed

  bool is_greedy() const { return temperature <= 0.0f || top_k == 1; }
};

// Per-sequence sampling state: the generator and the token counts penalties need.
class SamplerState {
 public:
  SamplerState(const SamplingParams& params, const std::vector<int32_t>& prompt_tokens);
  const SamplingParams& params() const { return params_; }
  // Records a generated token (for the penalties).
  void accept(int32_t token);

 private:
  friend class Sampler;
  void accept_seen(int32_t token);
  SamplingParams params_;
  std::mt19937_64 rng_;
  std::unordered_map<int32_t, int32_t> output_counts_;  // token -> times generated
  std::vector<int32_t> seen_tokens_;                    // distinct prompt + output tokens
  std::vector<uint8_t> seen_mask_;                      // by token id, grown on demand
};

class Sampler {
 public:
  // Picks a token from logits [vocab]; `logits` is used as scratch and modified.
  int32_t sample(float* logits, int64_t vocab, SamplerState& state);

  // log-softmax of a logits row (for logprobs): out [vocab].
  static void log_softmax(const float* logits, int64_t vocab, float* out);

 private:
  void apply_penalties(float* logits, int64_t vocab, const SamplerState& state) const;
  std::vector<std::pair<float, int32_t>> candidates_;  // scratch: (logit, id)
  std::vector<double> probs_;                          // scratch
  std::vector<double> exps_;                           // scratch [vocab]: exp((l - max) / T)
};

}  // namespace turbine
