// A Prometheus histogram with fixed buckets (latencies in seconds, token counts). observe() is
// called on the hot path (per token from the engine thread) while an HTTP thread renders:
// a binary search and relaxed atomic adds, no lock.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <vector>

namespace turbine::telemetry {

class Histogram {
 public:
  // `bounds`: the buckets' upper bounds (inclusive, Prometheus' `le`), finite and strictly
  // increasing; the +Inf bucket is implicit. Checked: a bad list is a programming error.
  explicit Histogram(std::vector<double> bounds);
  // Aborts with a message unless `bounds` is a valid list, as the constructor requires.
  static void check_bounds(const std::vector<double>& bounds);

  // Counts `value` in the first bucket whose bound is >= value. NaN is ignored.
  void observe(double value);

  struct Snapshot {
    std::vector<uint64_t> cumulative;  // [bounds + 1]: observations <= bounds[i]; last is +Inf
    double sum = 0.0;
    uint64_t count = 0;                // == cumulative.back()
  };
  // The counts as of now. Taken while observe() runs elsewhere it may miss an observation's sum
  // or count, but the buckets always add up to count.
  Snapshot snapshot() const;

  const std::vector<double>& bounds() const { return bounds_; }

 private:
  std::vector<double> bounds_;
  std::unique_ptr<std::atomic<uint64_t>[]> counts_;  // [bounds + 1], per bucket (not cumulative)
  std::atomic<double> sum_{0.0};
};

}  // namespace turbine::telemetry
