#include "engine/step_time_model.h"

#include <algorithm>
#include <cmath>

namespace turbine {

void StepTimeModel::observe(int64_t num_tokens, int64_t num_context_tokens, double seconds) {
  const double x[3] = {1.0, double(num_tokens), double(num_context_tokens)};
  for (double& v : xtx_) v *= decay_;
  for (double& v : xty_) v *= decay_;
  for (int i = 0; i < 3; ++i) {
    for (int j = 0; j < 3; ++j) xtx_[size_t(i * 3 + j)] += x[i] * x[j];
    xty_[size_t(i)] += x[i] * seconds;
  }
  ++num_observed_;
  refit();
}

// Solves (X^T W X + ridge) coef = X^T W t by Gaussian elimination with partial pivoting. The ridge
// keeps the system solvable while the steps seen so far look alike (all decodes, say).
void StepTimeModel::refit() {
  double m[3][4];
  for (int i = 0; i < 3; ++i) {
    for (int j = 0; j < 3; ++j) m[i][j] = xtx_[size_t(i * 3 + j)];
    m[i][i] += 1e-9 * (1.0 + m[i][i]);
    m[i][3] = xty_[size_t(i)];
  }
  for (int col = 0; col < 3; ++col) {
    int pivot = col;
    for (int r = col + 1; r < 3; ++r)
      if (std::fabs(m[r][col]) > std::fabs(m[pivot][col])) pivot = r;
    if (std::fabs(m[pivot][col]) < 1e-30) return;  // keep the previous fit
    for (int j = 0; j < 4; ++j) std::swap(m[col][j], m[pivot][j]);
    for (int r = 0; r < 3; ++r) {
      if (r == col) continue;
      const double f = m[r][col] / m[col][col];
      for (int j = col; j < 4; ++j) m[r][j] -= f * m[col][j];
    }
  }
  for (int i = 0; i < 3; ++i) coef_[size_t(i)] = m[i][3] / m[i][i];
  // Costs are never negative; a noisy fit that says so falls back to a per-token average.
  if (coef_[1] <= 0.0) {
    coef_[1] = xty_[0] > 0 && xtx_[1] > 0 ? xty_[0] / xtx_[1] : 0.0;
    coef_[0] = 0.0;
  }
  coef_[0] = std::max(0.0, coef_[0]);
  coef_[2] = std::max(0.0, coef_[2]);
}

double StepTimeModel::predict(int64_t num_tokens, int64_t num_context_tokens) const {
  return coef_[0] + coef_[1] * double(num_tokens) + coef_[2] * double(num_context_tokens);
}

int64_t StepTimeModel::max_tokens_within(double target_seconds, int64_t num_context_tokens,
                                         int64_t min_tokens, int64_t max_tokens) const {
  if (!ready() || coef_[1] <= 0.0) return max_tokens;
  const double room = target_seconds - coef_[0] - coef_[2] * double(num_context_tokens);
  const double fit = std::floor(room / coef_[1]);
  const int64_t n = fit <= 0 ? 0 : fit >= double(max_tokens) ? max_tokens : int64_t(fit);
  return std::clamp<int64_t>(n, std::min(min_tokens, max_tokens), max_tokens);
}

}  // namespace turbine
