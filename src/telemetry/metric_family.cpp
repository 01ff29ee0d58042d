#include "telemetry/metric_family.h"

#include <set>
#include <type_traits>

#include "base/check.h"

namespace turbine::telemetry {
namespace {

template <typename Metric>
constexpr MetricType type_of() {
  if constexpr (std::is_same_v<Metric, Counter>) return MetricType::kCounter;
  if constexpr (std::is_same_v<Metric, Gauge>) return MetricType::kGauge;
  return MetricType::kHistogram;
}

void check_labels(const Labels& labels, bool is_histogram) {
  std::set<std::string> seen;
  for (const auto& [name, value] : labels) {
    TB_CHECK(is_valid_label_name(name), "invalid Prometheus label name '" + name + "'");
    TB_CHECK(!(is_histogram && name == "le"), "'le' is reserved for histogram buckets");
    TB_CHECK(seen.insert(name).second, "label '" + name + "' given twice");
  }
}

void append_sample(std::string* out, const std::string& name, const std::string& labels, double value) {
  *out += name;
  *out += labels;
  *out += ' ';
  *out += format_value(value);
  *out += '\n';
}

// name_bucket{...,le="b"} for each bound and +Inf, then name_count and name_sum (the order
// prometheus_client writes them in).
void append_histogram(std::string* out, const std::string& name, const Labels& labels, const Histogram& h) {
  const Histogram::Snapshot s = h.snapshot();
  const std::vector<double>& bounds = h.bounds();
  for (size_t i = 0; i <= bounds.size(); ++i) {
    const std::pair<std::string, std::string> le{"le", i < bounds.size() ? format_value(bounds[i]) : "+Inf"};
    append_sample(out, name + "_bucket", format_labels(labels, &le), double(s.cumulative[i]));
  }
  const std::string plain = format_labels(labels);
  append_sample(out, name + "_count", plain, double(s.count));
  append_sample(out, name + "_sum", plain, s.sum);
}

}  // namespace

const char* metric_type_name(MetricType type) {
  switch (type) {
    case MetricType::kCounter: return "counter";
    case MetricType::kGauge: return "gauge";
    case MetricType::kHistogram: return "histogram";
  }
  return "untyped";
}

MetricFamilyBase::MetricFamilyBase(std::string name, std::string help, MetricType type)
    : name_(std::move(name)), help_(std::move(help)), type_(type) {
  TB_CHECK(is_valid_metric_name(name_), "invalid Prometheus metric name '" + name_ + "'");
}

template <typename Metric>
MetricFamily<Metric>::MetricFamily(std::string name, std::string help, std::vector<double> bounds)
    : MetricFamilyBase(std::move(name), std::move(help), type_of<Metric>()), bounds_(std::move(bounds)) {
  if constexpr (std::is_same_v<Metric, Histogram>) Histogram::check_bounds(bounds_);  // fail at registration
}

template <typename Metric>
Metric& MetricFamily<Metric>::labels(const Labels& labels) {
  std::lock_guard<std::mutex> lock(mu_);
  if (const auto it = by_labels_.find(labels); it != by_labels_.end()) return *it->second;
  check_labels(labels, type_of<Metric>() == MetricType::kHistogram);
  std::unique_ptr<Metric> metric;
  if constexpr (std::is_same_v<Metric, Histogram>) {
    metric = std::make_unique<Histogram>(bounds_);
  } else {
    metric = std::make_unique<Metric>();
  }
  Metric& ref = *metric;
  children_.emplace_back(labels, std::move(metric));
  by_labels_.emplace(labels, &ref);
  return ref;
}

template <typename Metric>
void MetricFamily<Metric>::render(std::string* out) const {
  *out += "# HELP " + name() + " " + escape_help(help()) + "\n";
  *out += "# TYPE " + name() + " " + metric_type_name(type()) + "\n";
  std::lock_guard<std::mutex> lock(mu_);
  for (const auto& [labels, metric] : children_) {
    if constexpr (std::is_same_v<Metric, Histogram>) {
      append_histogram(out, name(), labels, *metric);
    } else {
      append_sample(out, name(), format_labels(labels), metric->value());
    }
  }
}

template class MetricFamily<Counter>;
template class MetricFamily<Gauge>;
template class MetricFamily<Histogram>;

}  // namespace turbine::telemetry
