#include "loadgen/report.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>

namespace turbine::loadgen {

namespace {

using nlohmann::json;
using nlohmann::ordered_json;

std::string printf_string(const char* format, auto... args) {
  char buf[512];
  std::snprintf(buf, sizeof buf, format, args...);
  return buf;
}

std::string stats_row(const char* name, const LatencyStats& s) {
  if (s.count == 0) return printf_string("  %-8s %10s\n", name, "-");
  return printf_string("  %-8s %10.2f %10.2f %10.2f %10.2f %10.2f %10.2f\n", name, s.mean, s.p50,
                       s.p90, s.p99, s.max, s.stddev);
}

ordered_json record_json(const RequestRecord& r) {
  ordered_json j = {{"session", r.session},
                    {"turn", r.turn},
                    {"arrival_s", r.arrival_s},
                    {"sent_s", r.sent_s},
                    {"first_token_s", r.first_token_s},
                    {"done_s", r.done_s},
                    {"prompt_tokens", r.prompt_tokens},
                    {"output_tokens", r.output_tokens},
                    {"requested_output_tokens", r.requested_output_tokens},
                    {"num_token_events", r.num_token_events},
                    {"usage_reported", r.usage_reported},
                    {"http_status", r.http_status}};
  if (!r.ok()) {
    j["error_kind"] = r.error_kind;
    j["error_message"] = r.error_message;
  }
  j["itl_s"] = r.itl_s;
  return j;
}

// A metric of the comparison: where it sits in the summary and which way is better.
struct MetricRow {
  const char* label;
  const char* pointer;  // JSON pointer into "summary"
  bool higher_is_better;
};

constexpr MetricRow kComparedMetrics[] = {
    {"request throughput (req/s)", "/request_throughput", true},
    {"output throughput (tok/s)", "/output_throughput", true},
    {"total throughput (tok/s)", "/total_token_throughput", true},
    {"goodput (req/s)", "/goodput", true},
    {"failed requests", "/num_failed", false},
    {"TTFT mean (ms)", "/ttft_ms/mean", false},
    {"TTFT p50 (ms)", "/ttft_ms/p50", false},
    {"TTFT p90 (ms)", "/ttft_ms/p90", false},
    {"TTFT p99 (ms)", "/ttft_ms/p99", false},
    {"TPOT mean (ms)", "/tpot_ms/mean", false},
    {"TPOT p50 (ms)", "/tpot_ms/p50", false},
    {"TPOT p99 (ms)", "/tpot_ms/p99", false},
    {"ITL mean (ms)", "/itl_ms/mean", false},
    {"ITL p50 (ms)", "/itl_ms/p50", false},
    {"ITL p99 (ms)", "/itl_ms/p99", false},
    {"E2E mean (ms)", "/e2e_ms/mean", false},
    {"E2E p50 (ms)", "/e2e_ms/p50", false},
    {"E2E p99 (ms)", "/e2e_ms/p99", false},
    {"client CPU (% of a core)", "/client/cpu_percent", false},
};

std::string short_value(const json& v) {
  std::string s = v.is_string() ? v.get<std::string>() : v.dump();
  return s.size() > 60 ? s.substr(0, 57) + "..." : s;
}

}  // namespace

std::string format_summary_table(const RunSummary& s, const std::string& slo_spec) {
  std::string out;
  out += printf_string("requests     %lld succeeded, %lld failed, in %.2f s (at most %.0f in flight)\n",
                       (long long)s.num_succeeded, (long long)s.num_failed, s.duration_s, s.max_in_flight);
  out += printf_string("throughput   %.2f req/s, %.1f output tok/s, %.1f total tok/s\n",
                       s.request_throughput, s.output_throughput, s.total_token_throughput);
  if (!slo_spec.empty()) {
    out += printf_string("goodput      %.2f req/s (%lld of %lld requests within %s)\n", s.goodput,
                         (long long)s.num_good, (long long)s.num_requests, slo_spec.c_str());
  }
  out += printf_string("tokens       %lld in, %lld out (%s)\n", (long long)s.input_tokens,
                       (long long)s.output_tokens,
                       s.usage_reported ? "the server's usage" : "counted by the client: no usage from the server");
  out += printf_string("\n  %-8s %10s %10s %10s %10s %10s %10s\n", "ms", "mean", "p50", "p90", "p99", "max", "stddev");
  out += stats_row("TTFT", s.ttft_ms);
  out += stats_row("TPOT", s.tpot_ms);
  out += stats_row("ITL", s.itl_ms);
  out += stats_row("E2E", s.e2e_ms);
  out += stats_row("queue", s.queue_ms);
  out += "\n";
  const double capacity = s.client_us_per_event > 0 ? 1e6 / s.client_us_per_event : 0;
  out += printf_string("client       %.1f%% of one core, %.2f us per event (%.0f events/s at most), "
                       "arrival timer lag p99 %.3f ms, %llu connections (%llu reuses, %llu resends)\n",
                       s.client_cpu_percent, s.client_us_per_event, capacity, s.timer_lag_ms.p99,
                       (unsigned long long)s.connections_opened, (unsigned long long)s.connections_reused,
                       (unsigned long long)s.retries);
  if (s.feed_waits > 0) {
    out += printf_string("warning      the event loop waited %lld times for prompts to be made: "
                         "timings near those moments may be late\n", (long long)s.feed_waits);
  }
  if (s.num_short_outputs > 0) {
    out += printf_string("warning      %lld answers were shorter than max_tokens asked (does the server "
                         "honour min_tokens and ignore_eos?)\n", (long long)s.num_short_outputs);
  }
  for (const auto& [kind, count] : s.errors_by_kind) {
    auto example = s.error_examples.find(kind);
    out += printf_string("error        %s: %lld", kind.c_str(), (long long)count);
    if (example != s.error_examples.end()) out += " (" + example->second.substr(0, 300) + ")";
    out += "\n";
  }
  return out;
}

ordered_json run_document(const ordered_json& settings, const RunSummary& summary,
                          const std::vector<RequestRecord>* requests) {
  ordered_json doc;
  doc["turbine_bench"] = 1;  // the format's version
  doc["settings"] = settings;
  doc["summary"] = to_json(summary);
  if (requests != nullptr) {
    ordered_json list = ordered_json::array();
    for (const auto& r : *requests) list.push_back(record_json(r));
    doc["requests"] = std::move(list);
  }
  return doc;
}

Result<json> read_run_document(const std::string& path) {
  std::ifstream in(path);
  if (!in) return not_found(path + ": cannot open");
  json doc = json::parse(in, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) return invalid_argument(path + ": not valid JSON");
  if (!doc.is_object() || !doc.contains("turbine_bench") || !doc.contains("summary") ||
      !doc["summary"].is_object() || !doc.contains("settings") || !doc["settings"].is_object()) {
    return invalid_argument(path + ": not a `turbine bench --output` file (no turbine_bench/settings/summary)");
  }
  return doc;
}

std::string format_comparison(const json& a, const std::string& a_name, const json& b,
                              const std::string& b_name) {
  std::string out = printf_string("A: %s\nB: %s\n\n", a_name.c_str(), b_name.c_str());
  out += printf_string("  %-28s %12s %12s %9s\n", "", "A", "B", "B/A");
  for (const MetricRow& row : kComparedMetrics) {
    const json::json_pointer ptr(row.pointer);
    const json& sa = a["summary"];
    const json& sb = b["summary"];
    if (!sa.contains(ptr) || !sb.contains(ptr) || !sa[ptr].is_number() || !sb[ptr].is_number()) continue;
    const double va = sa[ptr].get<double>(), vb = sb[ptr].get<double>();
    std::string ratio = va != 0 ? printf_string("%8.2fx", vb / va) : std::string("        -");
    const bool better = va != vb && ((vb > va) == row.higher_is_better);
    out += printf_string("  %-28s %12.2f %12.2f %s%s\n", row.label, va, vb, ratio.c_str(),
                         va == vb ? "" : better ? "  better" : "  worse");
  }
  // Settings that differ, so the reader knows what changed between the runs.
  std::vector<std::string> differing;
  const json sa = a.value("settings", json::object()), sb = b.value("settings", json::object());
  for (const auto& [key, value] : sa.items()) {
    if (key == "command" || key == "label") continue;  // named above, or noise
    if (!sb.contains(key) || sb[key] != value)
      differing.push_back(key + ": " + short_value(value) + " -> " + (sb.contains(key) ? short_value(sb[key]) : "(none)"));
  }
  for (const auto& [key, value] : sb.items()) {
    if (!sa.contains(key)) differing.push_back(key + ": (none) -> " + short_value(value));
  }
  if (!differing.empty()) {
    out += "\nsettings that differ:\n";
    for (const auto& d : differing) out += "  " + d + "\n";
  }
  return out;
}

std::string format_progress_line(double elapsed_s, int64_t num_done, int64_t num_failed,
                                 int64_t num_in_flight, int64_t output_tokens,
                                 int64_t total_requests, double duration_s, int width) {
  double fraction = total_requests > 0 ? double(num_done) / double(total_requests)
                    : duration_s > 0   ? elapsed_s / duration_s
                                       : 0;
  fraction = std::clamp(fraction, 0.0, 1.0);
  const int bar_width = std::clamp(width - 70, 10, 40);
  const int filled = int(std::lround(fraction * bar_width));
  std::string bar(size_t(filled), '=');
  if (filled < bar_width) bar += '>';
  bar.resize(size_t(bar_width), ' ');
  std::string count = total_requests > 0
                          ? printf_string("%lld/%lld", (long long)num_done, (long long)total_requests)
                          : printf_string("%lld", (long long)num_done);
  return printf_string("[%s] %s done, %lld in flight, %lld failed, %.0f tok/s, %.1f s", bar.c_str(),
                       count.c_str(), (long long)num_in_flight, (long long)num_failed,
                       elapsed_s > 0 ? double(output_tokens) / elapsed_s : 0.0, elapsed_s);
}

}  // namespace turbine::loadgen
