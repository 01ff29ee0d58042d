// Automatic rollback's judgement: per (model, version) a sliding window of request outcomes, and
// evaluate(), which compares every weighted non-stable version with its model's stable version
// under the model's RollbackPolicy (see model_entry.h). Pure: the time is passed in, nothing is
// written anywhere; the ModelRegistry acts on the decisions. Thread-safe: record() from HTTP
// threads while evaluate() runs on the registry's monitor thread.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "registry/model_entry.h"

namespace turbine::registry {

using MonitorClock = std::chrono::steady_clock;

struct RollbackDecision {
  std::string model;
  std::string version;
  std::string reason;  // the figures, e.g. "error rate 0.300 (30/100) over 60 s > stable v1's ..."
  MonitorClock::time_point time;
};

// One version's outcomes in a window.
struct WindowStats {
  int64_t num_requests = 0;
  int64_t num_errors = 0;
  int64_t num_ok = 0;
  double p99_latency_s = 0.0;  // over the successful requests (nearest rank); 0 when none

  double error_rate() const { return num_requests > 0 ? double(num_errors) / double(num_requests) : 0.0; }
};

class RollbackMonitor {
 public:
  // Beyond `max_samples_per_version` outcomes in memory for one version the oldest are dropped,
  // so under very heavy traffic the window is effectively shorter than the policy's.
  explicit RollbackMonitor(size_t max_samples_per_version = 65536);

  // One finished request of (model, version): ok false for an error answer (5xx, engine
  // failure); latency_s from arrival to the last byte.
  void record(std::string_view model, std::string_view version, bool ok, double latency_s,
              MonitorClock::time_point now);

  // Outcomes in (now - window_seconds, now] of each model's policy. For every model with an
  // enabled policy and a stable version, each other active version with weight > 0 is rolled
  // back when both it and the stable version have >= min_requests requests in the window and
  //   its error rate > stable's + error_rate_margin, or
  //   its p99 latency > stable's * (1 + p99_latency_margin) (both with >= min_requests
  //   successful requests, the p99 being over successful requests).
  // The stable version is never rolled back. A version decided on has its outcomes forgotten
  // (so an admin who gives it traffic again starts from a clean window). Outcomes of versions
  // the snapshot does not list, and those older than their window, are dropped.
  std::vector<RollbackDecision> evaluate(const RegistrySnapshot& snapshot, MonitorClock::time_point now);

  // The window's figures for one version (for tests and the admin view).
  WindowStats stats(std::string_view model, std::string_view version, double window_seconds,
                    MonitorClock::time_point now) const;

  // Drops what is recorded for (model, version).
  void forget(std::string_view model, std::string_view version);

 private:
  struct Sample {
    MonitorClock::time_point time;
    float latency_s;
    bool ok;
  };
  using Samples = std::deque<Sample>;

  static std::string key(std::string_view model, std::string_view version);
  static WindowStats window_stats(const Samples& samples, MonitorClock::time_point since);
  // Whether `canary` is worse than `stable` under `policy`; the reason if so.
  static bool worse_than_stable(const ModelEntry& entry, const WindowStats& c,
                                const ModelVersion& stable, const WindowStats& s, std::string* reason);

  const size_t max_samples_per_version_;
  mutable std::mutex mu_;  // guards samples_
  std::unordered_map<std::string, Samples> samples_;  // by key(model, version)
};

}  // namespace turbine::registry
