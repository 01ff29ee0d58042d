#include "engine/sampler.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace turbine {

SamplerState::SamplerState(const SamplingParams& params, const std::vector<int32_t>& prompt_tokens)
    : params_(params), rng_(params.seed ? *params.seed : std::random_device{}()) {
  if (params_.repetition_penalty != 1.0f)
    for (int32_t t : prompt_tokens) accept_seen(t);
}

void SamplerState::accept_seen(int32_t token) {
  if (token < 0) return;
  if (size_t(token) >= seen_mask_.size()) seen_mask_.resize(size_t(token) + 1, 0);
  if (!seen_mask_[size_t(token)]) {
    seen_mask_[size_t(token)] = 1;
    seen_tokens_.push_back(token);
  }
}

void SamplerState::accept(int32_t token) {
  if (params_.presence_penalty != 0.0f || params_.frequency_penalty != 0.0f)
    ++output_counts_[token];
  if (params_.repetition_penalty != 1.0f) accept_seen(token);
}

void Sampler::apply_penalties(float* logits, int64_t vocab, const SamplerState& s) const {
  const SamplingParams& p = s.params_;
  if (p.repetition_penalty != 1.0f) {
    for (int32_t t : s.seen_tokens_) {
      if (t >= vocab) continue;
      float& l = logits[t];
      l = l > 0 ? l / p.repetition_penalty : l * p.repetition_penalty;
    }
  }
  if (p.presence_penalty != 0.0f || p.frequency_penalty != 0.0f) {
    for (const auto& [t, count] : s.output_counts_) {
      if (t >= vocab) continue;
      logits[t] -= p.frequency_penalty * float(count) + p.presence_penalty;
    }
  }
}

void Sampler::log_softmax(const float* logits, int64_t vocab, float* out) {
  const float mx = *std::max_element(logits, logits + vocab);
  double sum = 0;
  for (int64_t i = 0; i < vocab; ++i) sum += std::exp(double(logits[i] - mx));
  const float log_z = mx + float(std::log(sum));
  for (int64_t i = 0; i < vocab; ++i) out[i] = logits[i] - log_z;
}

int32_t Sampler::sample(float* logits, int64_t vocab, SamplerState& state) {
  const SamplingParams& p = state.params_;
  apply_penalties(logits, vocab, state);
  if (p.is_greedy()) {
    // First maximum wins, so ties resolve the same way in every batch composition.
    return int32_t(std::max_element(logits, logits + vocab) - logits);
  }

  // Candidates sorted by logit, descending, cut by top-k. Sorting the whole vocabulary is
  // avoided: top-p and min-p only ever need the head of the distribution, so the head is
  // widened until it holds the mass they ask for.
  const auto by_logit = [](const auto& a, const auto& b) {
    return a.first > b.first || (a.first == b.first && a.second < b.second);
  };
  int64_t keep = vocab;
  if (p.top_k > 0) keep = std::min<int64_t>(keep, p.top_k);

  const float inv_t = 1.0f / p.temperature;
  const float max_logit = *std::max_element(logits, logits + vocab);
  // Unnormalised probabilities exp((l - max) / T), computed once; z is their sum.
  exps_.resize(size_t(vocab));
  double z = 0;
  for (int64_t i = 0; i < vocab; ++i) {
    exps_[size_t(i)] = std::exp(double((logits[i] - max_logit) * inv_t));
    z += exps_[size_t(i)];
  }

  const bool use_top_p = p.top_p < 1.0f, use_min_p = p.min_p > 0.0f;
  if (!use_top_p && !use_min_p && keep == vocab) {  // plain temperature: no sort needed
    std::uniform_real_distribution<double> uni(0.0, z);
    double r = uni(state.rng_);
    for (int64_t i = 0; i < vocab; ++i) {
      r -= exps_[size_t(i)];
      if (r <= 0) return int32_t(i);
    }
    return int32_t(std::max_element(logits, logits + vocab) - logits);
  }

  candidates_.resize(size_t(vocab));
  for (int64_t i = 0; i < vocab; ++i) candidates_[size_t(i)] = {logits[i], int32_t(i)};
  // Widen the sorted head until nothing outside it can survive the cuts: top-p is settled once
  // the head holds top_p of the mass, min-p once the head's last token falls below the bar.
  int64_t head = (use_top_p || use_min_p) ? std::min<int64_t>(keep, 64) : keep;
  for (;;) {
    std::partial_sort(candidates_.begin(), candidates_.begin() + head, candidates_.end(), by_logit);
    if (head == keep) break;
    double mass = 0;
    for (int64_t i = 0; i < head; ++i) mass += exps_[size_t(candidates_[size_t(i)].second)];
    const double last = exps_[size_t(candidates_[size_t(head - 1)].second)];
    if ((use_top_p && mass / z >= double(p.top_p)) || (use_min_p && last < double(p.min_p))) break;
    head = std::min<int64_t>(keep, head * 4);
  }
  keep = head;

  // Probabilities over the kept head (p_max = exp(0)/z since the head starts at the max).
  std::vector<double>& probs = probs_;  // probabilities of the head, in sorted order
  probs.resize(size_t(keep));
  double kept = 0;
  for (int64_t i = 0; i < keep; ++i) {
    probs[size_t(i)] = exps_[size_t(candidates_[size_t(i)].second)] / z;
    kept += probs[size_t(i)];
  }
  int64_t cut = keep;
  if (p.top_p < 1.0f) {  // smallest prefix whose mass (renormalised over top-k) reaches top_p
    double acc = 0;
    for (int64_t i = 0; i < keep; ++i) {
      acc += probs[size_t(i)] / kept;
      if (acc >= double(p.top_p)) { cut = i + 1; break; }
    }
  }
  if (p.min_p > 0.0f) {
    const double threshold = double(p.min_p) * probs[0];
    int64_t m = 1;
    while (m < cut && probs[size_t(m)] >= threshold) ++m;
    cut = m;
  }
  double total = 0;
  for (int64_t i = 0; i < cut; ++i) total += probs[size_t(i)];
  std::uniform_real_distribution<double> uni(0.0, total);
  double r = uni(state.rng_);
  for (int64_t i = 0; i < cut; ++i) {
    r -= probs[size_t(i)];
    if (r <= 0) return candidates_[size_t(i)].second;
  }
  return candidates_[size_t(cut - 1)].second;
}

}  // namespace turbine
