// A metric family: one name, HELP and TYPE, and one child metric per label set
// (vllm:num_requests_running{model_name="a"}, {model_name="b"}). labels() takes a lock and is
// meant to be called once per label set, its reference kept for the hot path; render() may run
// on any thread while the children are updated.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "telemetry/counter.h"
#include "telemetry/gauge.h"
#include "telemetry/histogram.h"
#include "telemetry/prometheus_text.h"

namespace turbine::telemetry {

enum class MetricType { kCounter, kGauge, kHistogram };

const char* metric_type_name(MetricType type);  // "counter", "gauge", "histogram"

// What the registry keeps of every family, whatever its metric type.
class MetricFamilyBase {
 public:
  MetricFamilyBase(std::string name, std::string help, MetricType type);
  virtual ~MetricFamilyBase() = default;

  const std::string& name() const { return name_; }
  const std::string& help() const { return help_; }
  MetricType type() const { return type_; }

  // Appends "# HELP", "# TYPE" and one line per sample, children in the order first asked for.
  virtual void render(std::string* out) const = 0;

 private:
  std::string name_;
  std::string help_;
  MetricType type_;
};

// Metric is Counter, Gauge or Histogram.
template <typename Metric>
class MetricFamily final : public MetricFamilyBase {
 public:
  // `bounds` is used by histogram families only.
  MetricFamily(std::string name, std::string help, std::vector<double> bounds = {});

  // The child for `labels`, created on first use with all counts zero. The reference stays
  // valid for the family's lifetime. Label names must be valid (and not "le" for a histogram):
  // a programming error otherwise. {a, b} and {b, a} are different children: keep one order.
  Metric& labels(const Labels& labels = {});

  const std::vector<double>& bounds() const { return bounds_; }
  void render(std::string* out) const override;

 private:
  std::vector<double> bounds_;
  mutable std::mutex mu_;  // guards the child lists, not the children's values
  std::vector<std::pair<Labels, std::unique_ptr<Metric>>> children_;  // in creation order
  std::map<Labels, Metric*> by_labels_;
};

using CounterFamily = MetricFamily<Counter>;
using GaugeFamily = MetricFamily<Gauge>;
using HistogramFamily = MetricFamily<Histogram>;

}  // namespace turbine::telemetry
