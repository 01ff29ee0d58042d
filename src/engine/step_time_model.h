// Dynamic batching: predicts a step's wall time from its shape, learned online from the steps the
// engine runs, and turns a target inter-token latency into a token budget. A step's time is
// modelled as  t = a + b * num_tokens + c * num_context_tokens  (fixed cost: weights read once per
// step; per token: the matmuls; per context token: attention), fitted by exponentially weighted
// least squares so it follows the machine's present speed. Engine thread only.
#pragma once

#include <array>
#include <cstdint>

namespace turbine {

class StepTimeModel {
 public:
  // decay: weight kept by past steps per new step (0.98 ~ the last 50 steps).
  explicit StepTimeModel(double decay = 0.98) : decay_(decay) {}

  void observe(int64_t num_tokens, int64_t num_context_tokens, double seconds);
  bool ready() const { return num_observed_ >= 8; }
  // Predicted seconds; 0 before any observation.
  double predict(int64_t num_tokens, int64_t num_context_tokens) const;
  // The most tokens a step may compute and stay within `target_seconds`, given the context the
  // step attends to. At least `min_tokens` (running decodes are never starved).
  int64_t max_tokens_within(double target_seconds, int64_t num_context_tokens, int64_t min_tokens,
                            int64_t max_tokens) const;

 private:
  void refit();
  double decay_;
  std::array<double, 9> xtx_{};  // sum w * x x^T over x = (1, tokens, context), row-major 3x3
  std::array<double, 3> xty_{};  // sum w * x * t
  std::array<double, 3> coef_{};  // a, b, c
  int64_t num_observed_ = 0;
};

}  // namespace turbine
