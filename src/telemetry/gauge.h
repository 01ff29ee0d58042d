// A Prometheus gauge: a value that goes up and down (requests running, KV cache usage). Any
// thread may set it while another renders; each call is one relaxed atomic operation.
#pragma once

#include <atomic>

namespace turbine::telemetry {

class Gauge {
 public:
  void set(double value) { value_.store(value, std::memory_order_relaxed); }
  void inc(double amount = 1.0) { value_.fetch_add(amount, std::memory_order_relaxed); }
  void dec(double amount = 1.0) { value_.fetch_sub(amount, std::memory_order_relaxed); }
  double value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0.0};
};

}  // namespace turbine::telemetry
