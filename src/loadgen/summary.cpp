#include "loadgen/summary.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <utility>

namespace turbine::loadgen {

namespace {

double percentile(const std::vector<double>& sorted, double p) {
  const double rank = p / 100.0 * double(sorted.size() - 1);
  const size_t lo = size_t(std::floor(rank));
  const size_t hi = std::min(lo + 1, sorted.size() - 1);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (rank - double(lo));
}

// Most requests in flight at once: a sweep over the send and end times.
double max_in_flight(const std::vector<RequestRecord>& records) {
  std::vector<std::pair<double, int>> edges;
  for (const auto& r : records) {
    edges.emplace_back(r.sent_s, +1);
    edges.emplace_back(r.done_s, -1);
  }
  std::sort(edges.begin(), edges.end());  // at equal times an end (-1) sorts before a start
  int now = 0, most = 0;
  for (const auto& [t, d] : edges) most = std::max(most, now += d);
  return most;
}

std::string format_ms(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", v);
  return buf;
}

}  // namespace

LatencyStats summarize(std::vector<double> values) {
  LatencyStats s;
  if (values.empty()) return s;
  std::sort(values.begin(), values.end());
  s.count = int64_t(values.size());
  double sum = 0;
  for (double v : values) sum += v;
  s.mean = sum / double(values.size());
  double squares = 0;
  for (double v : values) squares += (v - s.mean) * (v - s.mean);
  s.stddev = std::sqrt(squares / double(values.size()));
  s.min = values.front();
  s.max = values.back();
  s.p50 = percentile(values, 50);
  s.p90 = percentile(values, 90);
  s.p99 = percentile(values, 99);
  return s;
}

bool Slo::met_by(const RequestRecord& r) const {
  if (!r.ok()) return false;
  auto within = [](const std::optional<double>& limit_ms, double value_s) {
    return !limit_ms || (value_s >= 0 && value_s * 1000.0 <= *limit_ms);
  };
  if (!within(ttft_ms, r.ttft_s()) || !within(e2e_ms, r.e2e_s())) return false;
  if (tpot_ms && r.output_tokens >= 2 && !within(tpot_ms, r.tpot_s())) return false;
  if (!r.itl_s.empty()) {
    double sum = 0, most = 0;
    for (float g : r.itl_s) {
      sum += g;
      most = std::max(most, double(g));
    }
    if (!within(itl_ms, sum / double(r.itl_s.size())) || !within(max_itl_ms, most)) return false;
  }
  return true;
}

std::string Slo::spec() const {
  std::string out;
  auto add = [&](const char* key, const std::optional<double>& v) {
    if (!v) return;
    if (!out.empty()) out += ',';
    out += std::string(key) + "=" + format_ms(*v);
  };
  add("ttft_ms", ttft_ms);
  add("tpot_ms", tpot_ms);
  add("itl_ms", itl_ms);
  add("max_itl_ms", max_itl_ms);
  add("e2e_ms", e2e_ms);
  return out;
}

Result<Slo> parse_slo(std::string_view spec) {
  Slo slo;
  const std::string usage = "--slo '" + std::string(spec) +
                            "': expected KEY=MS[,KEY=MS...] with keys ttft_ms, tpot_ms, itl_ms, max_itl_ms, e2e_ms";
  size_t start = 0;
  while (start <= spec.size()) {
    size_t end = spec.find(',', start);
    if (end == std::string_view::npos) end = spec.size();
    std::string_view item = spec.substr(start, end - start);
    size_t eq = item.find('=');
    if (eq == std::string_view::npos) return invalid_argument(usage);
    std::string_view key = item.substr(0, eq), value = item.substr(eq + 1);
    double ms = 0;
    auto [ptr, ec] = std::from_chars(value.data(), value.data() + value.size(), ms);
    if (ec != std::errc() || ptr != value.data() + value.size() || !(ms > 0) || !std::isfinite(ms))
      return invalid_argument(usage + " (a limit must be a positive number)");
    if (key == "ttft_ms") slo.ttft_ms = ms;
    else if (key == "tpot_ms") slo.tpot_ms = ms;
    else if (key == "itl_ms") slo.itl_ms = ms;
    else if (key == "max_itl_ms") slo.max_itl_ms = ms;
    else if (key == "e2e_ms") slo.e2e_ms = ms;
    else return invalid_argument(usage);
    start = end + 1;
  }
  return slo;
}

RunSummary summarize_run(const std::vector<RequestRecord>& records, const Slo& slo,
                         const ClientCost& cost) {
  RunSummary s;
  s.has_slo = !slo.empty();
  s.num_requests = int64_t(records.size());
  std::vector<double> ttft, tpot, itl, e2e, queue;
  s.usage_reported = true;
  for (const auto& r : records) {
    s.duration_s = std::max(s.duration_s, r.done_s);
    queue.push_back((r.sent_s - r.arrival_s) * 1000.0);
    if (!r.ok()) {
      ++s.num_failed;
      ++s.errors_by_kind[r.error_kind];
      s.error_examples.emplace(r.error_kind, r.error_message);
      continue;
    }
    ++s.num_succeeded;
    if (r.requested_output_tokens > 0 && r.output_tokens < r.requested_output_tokens) ++s.num_short_outputs;
    s.input_tokens += r.prompt_tokens;
    s.output_tokens += r.output_tokens;
    s.usage_reported = s.usage_reported && r.usage_reported;
    if (r.ttft_s() >= 0) ttft.push_back(r.ttft_s() * 1000.0);
    if (r.tpot_s() >= 0) tpot.push_back(r.tpot_s() * 1000.0);
    for (float g : r.itl_s) itl.push_back(double(g) * 1000.0);
    e2e.push_back(r.e2e_s() * 1000.0);
    if (!slo.empty() && slo.met_by(r)) ++s.num_good;
  }
  if (s.num_succeeded == 0) s.usage_reported = false;
  if (s.duration_s > 0) {
    s.request_throughput = double(s.num_succeeded) / s.duration_s;
    s.output_throughput = double(s.output_tokens) / s.duration_s;
    s.total_token_throughput = double(s.input_tokens + s.output_tokens) / s.duration_s;
    s.goodput = double(s.num_good) / s.duration_s;
  }
  s.max_in_flight = max_in_flight(records);
  s.ttft_ms = summarize(std::move(ttft));
  s.tpot_ms = summarize(std::move(tpot));
  s.itl_ms = summarize(std::move(itl));
  s.e2e_ms = summarize(std::move(e2e));
  s.queue_ms = summarize(std::move(queue));
  s.num_events = cost.num_events;
  if (s.duration_s > 0) s.client_cpu_percent = 100.0 * cost.cpu_s / s.duration_s;
  if (cost.num_events > 0) s.client_us_per_event = cost.cpu_s * 1e6 / double(cost.num_events);
  std::vector<double> lag_ms;
  for (double l : cost.timer_lag_s) lag_ms.push_back(l * 1000.0);
  s.timer_lag_ms = summarize(std::move(lag_ms));
  s.connections_opened = cost.connections_opened;
  s.connections_reused = cost.connections_reused;
  s.retries = cost.retries;
  s.feed_waits = cost.feed_waits;
  return s;
}

nlohmann::ordered_json to_json(const LatencyStats& s) {
  return {{"count", s.count}, {"mean", s.mean}, {"stddev", s.stddev}, {"min", s.min},
          {"p50", s.p50},     {"p90", s.p90},   {"p99", s.p99},       {"max", s.max}};
}

nlohmann::ordered_json to_json(const RunSummary& s) {
  nlohmann::ordered_json j;
  j["duration_s"] = s.duration_s;
  j["num_requests"] = s.num_requests;
  j["num_succeeded"] = s.num_succeeded;
  j["num_failed"] = s.num_failed;
  j["errors_by_kind"] = s.errors_by_kind;
  j["error_examples"] = s.error_examples;
  j["input_tokens"] = s.input_tokens;
  j["output_tokens"] = s.output_tokens;
  j["usage_reported"] = s.usage_reported;
  j["request_throughput"] = s.request_throughput;
  j["output_throughput"] = s.output_throughput;
  j["total_token_throughput"] = s.total_token_throughput;
  j["goodput"] = s.has_slo ? nlohmann::ordered_json(s.goodput) : nlohmann::ordered_json(nullptr);
  j["num_good"] = s.has_slo ? nlohmann::ordered_json(s.num_good) : nlohmann::ordered_json(nullptr);
  j["max_in_flight"] = s.max_in_flight;
  j["ttft_ms"] = to_json(s.ttft_ms);
  j["tpot_ms"] = to_json(s.tpot_ms);
  j["itl_ms"] = to_json(s.itl_ms);
  j["e2e_ms"] = to_json(s.e2e_ms);
  j["queue_ms"] = to_json(s.queue_ms);
  j["client"] = {{"cpu_percent", s.client_cpu_percent},
                 {"us_per_event", s.client_us_per_event},
                 {"num_events", s.num_events},
                 {"timer_lag_ms", to_json(s.timer_lag_ms)},
                 {"connections_opened", s.connections_opened},
                 {"connections_reused", s.connections_reused},
                 {"retries", s.retries},
                 {"feed_waits", s.feed_waits}};
  j["num_short_outputs"] = s.num_short_outputs;
  return j;
}

}  // namespace turbine::loadgen
