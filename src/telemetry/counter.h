// A Prometheus counter: a value that only goes up (tokens generated, requests finished). Any
// thread may add to it while another renders; the hot path is one relaxed atomic add.
#pragma once

#include <atomic>

#include "base/check.h"

namespace turbine::telemetry {

class Counter {
 public:
  // Precondition: amount >= 0 (a counter never goes down; use a Gauge for that).
  void inc(double amount = 1.0) {
    TB_CHECK(amount >= 0.0, "Counter::inc by a negative amount");
    value_.fetch_add(amount, std::memory_order_relaxed);
  }
  // Exact for whole counts up to 2^53.
  double value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0.0};
};

}  // namespace turbine::telemetry
