// The process's metrics: metric families by name, rendered together for GET /metrics in
// Prometheus' text format 0.0.4. Families are registered at start-up (any thread); the hot path
// keeps references from family.labels(...) and never touches the registry; render() runs on an
// HTTP thread while metrics are updated.
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "telemetry/metric_family.h"

namespace turbine::telemetry {

class MetricsRegistry {
 public:
  // The family named `name`, created on first use. Names are used exactly as given, suffix
  // included ("vllm:prompt_tokens_total"); nothing is appended. Asking again for a name returns
  // the same family; a different type (or other buckets) under a taken name is a programming
  // error. References stay valid for the registry's lifetime.
  CounterFamily& counter(const std::string& name, const std::string& help);
  GaugeFamily& gauge(const std::string& name, const std::string& help);
  // `bounds`: see Histogram (buckets.h has vLLM's).
  HistogramFamily& histogram(const std::string& name, const std::string& help, std::vector<double> bounds);

  // Every family in registration order: "# HELP", "# TYPE", then its samples.
  std::string render() const;

 private:
  template <typename Family>
  Family& get_or_add(const std::string& name, const std::string& help, std::vector<double> bounds);

  mutable std::mutex mu_;  // guards families_
  std::vector<std::unique_ptr<MetricFamilyBase>> families_;
};

}  // namespace turbine::telemetry
