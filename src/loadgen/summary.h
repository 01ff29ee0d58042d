// The numbers a load run reports, computed from its request records: latency statistics,
// throughput, goodput against service-level objectives, errors by kind, and the generator's
// own cost. Pure functions and value types; any thread.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/status.h"
#include "loadgen/request_record.h"

namespace turbine::loadgen {

struct LatencyStats {
  int64_t count = 0;
  double mean = 0, stddev = 0, min = 0, p50 = 0, p90 = 0, p99 = 0, max = 0;
};

// Percentiles interpolate linearly between the two nearest ranks (numpy's default, as vLLM's
// benchmark reports them). An empty input gives all zeros.
LatencyStats summarize(std::vector<double> values);

// Per-request objectives in milliseconds; a request meets them when it succeeded and every
// one that is set holds. ttft: time to first token; tpot: time per output token; itl: the
// request's mean gap between token events; max_itl: its longest gap; e2e: the whole request.
struct Slo {
  std::optional<double> ttft_ms, tpot_ms, itl_ms, max_itl_ms, e2e_ms;
  bool empty() const { return !ttft_ms && !tpot_ms && !itl_ms && !max_itl_ms && !e2e_ms; }
  bool met_by(const RequestRecord& r) const;
  std::string spec() const;  // parse_slo(spec()) gives it back
};

// "ttft_ms=500,itl_ms=50" (keys ttft_ms, tpot_ms, itl_ms, max_itl_ms, e2e_ms).
Result<Slo> parse_slo(std::string_view spec);

// What the generator spent: its event-loop thread's CPU time over the measured run.
struct ClientCost {
  double cpu_s = 0;                 // CPU seconds of the event-loop thread
  int64_t num_events = 0;           // server-sent events parsed
  std::vector<double> timer_lag_s;  // how late each scheduled arrival fired
  uint64_t connections_opened = 0;
  uint64_t connections_reused = 0;
  uint64_t retries = 0;     // requests resent after a kept-alive connection proved dead
  int64_t feed_waits = 0;   // times the loop waited for a prompt to be made
};

struct RunSummary {
  double duration_s = 0;  // from the start of the run until the last request ended
  int64_t num_requests = 0, num_succeeded = 0, num_failed = 0;
  std::map<std::string, int64_t> errors_by_kind;
  std::map<std::string, std::string> error_examples;  // one message per kind
  int64_t input_tokens = 0, output_tokens = 0;  // of the requests that succeeded
  bool usage_reported = false;  // every success's counts came from the server's usage
  double request_throughput = 0, output_throughput = 0, total_token_throughput = 0;  // per s
  bool has_slo = false;
  double goodput = 0;  // requests per second meeting the SLO (null in JSON when none was given)
  int64_t num_good = 0;
  double max_in_flight = 0;
  LatencyStats ttft_ms, tpot_ms, itl_ms, e2e_ms, queue_ms;  // queue: arrival to send
  // The generator's own cost.
  double client_cpu_percent = 0;    // of one core, over the run
  double client_us_per_event = 0;   // CPU microseconds per server-sent event
  int64_t num_events = 0;
  LatencyStats timer_lag_ms;
  uint64_t connections_opened = 0, connections_reused = 0, retries = 0;
  int64_t feed_waits = 0;
  // Successes with fewer output tokens than max_tokens asked: a server that ignores
  // min_tokens/ignore_eos (or an early stop) makes the run lighter than it says.
  int64_t num_short_outputs = 0;
};

RunSummary summarize_run(const std::vector<RequestRecord>& records, const Slo& slo,
                         const ClientCost& cost);

nlohmann::ordered_json to_json(const LatencyStats& s);
nlohmann::ordered_json to_json(const RunSummary& s);

}  // namespace turbine::loadgen
