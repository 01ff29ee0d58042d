#include "telemetry/metrics_registry.h"

#include "base/check.h"

namespace turbine::telemetry {

template <typename Family>
Family& MetricsRegistry::get_or_add(const std::string& name, const std::string& help, std::vector<double> bounds) {
  std::lock_guard<std::mutex> lock(mu_);
  for (const std::unique_ptr<MetricFamilyBase>& f : families_) {
    if (f->name() != name) continue;
    auto* same = dynamic_cast<Family*>(f.get());
    TB_CHECK(same != nullptr, "metric '" + name + "' is already registered as a " + metric_type_name(f->type()));
    TB_CHECK(same->bounds() == bounds, "histogram '" + name + "' is already registered with other buckets");
    return *same;
  }
  auto family = std::make_unique<Family>(name, help, std::move(bounds));
  Family& ref = *family;
  families_.push_back(std::move(family));
  return ref;
}

CounterFamily& MetricsRegistry::counter(const std::string& name, const std::string& help) {
  return get_or_add<CounterFamily>(name, help, {});
}

GaugeFamily& MetricsRegistry::gauge(const std::string& name, const std::string& help) {
  return get_or_add<GaugeFamily>(name, help, {});
}

HistogramFamily& MetricsRegistry::histogram(const std::string& name, const std::string& help,
                                            std::vector<double> bounds) {
  return get_or_add<HistogramFamily>(name, help, std::move(bounds));
}

std::string MetricsRegistry::render() const {
  std::string out;
  std::lock_guard<std::mutex> lock(mu_);
  for (const std::unique_ptr<MetricFamilyBase>& f : families_) f->render(&out);
  return out;
}

}  // namespace turbine::telemetry
