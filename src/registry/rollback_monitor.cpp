#include "registry/rollback_monitor.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace turbine::registry {

namespace {

MonitorClock::time_point window_start(MonitorClock::time_point now, double window_seconds) {
  auto window = std::chrono::duration_cast<MonitorClock::duration>(std::chrono::duration<double>(window_seconds));
  return now - window;
}

std::string format(const char* fmt, auto... args) {
  char buf[512];
  std::snprintf(buf, sizeof buf, fmt, args...);
  return buf;
}

std::string ms(double seconds) { return format("%.1f ms", seconds * 1000.0); }

}  // namespace

RollbackMonitor::RollbackMonitor(size_t max_samples_per_version)
    : max_samples_per_version_(std::max<size_t>(1, max_samples_per_version)) {}

std::string RollbackMonitor::key(std::string_view model, std::string_view version) {
  std::string k;
  k.reserve(model.size() + 1 + version.size());
  k.append(model);
  k.push_back('\0');  // never in a name
  k.append(version);
  return k;
}

void RollbackMonitor::record(std::string_view model, std::string_view version, bool ok, double latency_s,
                             MonitorClock::time_point now) {
  if (!std::isfinite(latency_s) || latency_s < 0.0) latency_s = 0.0;
  std::string k = key(model, version);
  std::lock_guard lock(mu_);
  Samples& samples = samples_[std::move(k)];
  if (samples.size() >= max_samples_per_version_) samples.pop_front();
  samples.push_back({now, static_cast<float>(latency_s), ok});
}

WindowStats RollbackMonitor::window_stats(const Samples& samples, MonitorClock::time_point since) {
  WindowStats stats;
  std::vector<float> latencies;
  for (const Sample& s : samples) {
    if (s.time <= since) continue;  // recorded from several threads: not strictly in time order
    ++stats.num_requests;
    if (s.ok) {
      ++stats.num_ok;
      latencies.push_back(s.latency_s);
    } else {
      ++stats.num_errors;
    }
  }
  if (!latencies.empty()) {
    // Nearest rank: the smallest latency with at least 99% of the samples at or below it.
    size_t rank = static_cast<size_t>(std::ceil(0.99 * double(latencies.size())));
    auto nth = latencies.begin() + (std::max<size_t>(rank, 1) - 1);
    std::nth_element(latencies.begin(), nth, latencies.end());
    stats.p99_latency_s = *nth;
  }
  return stats;
}

bool RollbackMonitor::worse_than_stable(const ModelEntry& entry, const WindowStats& c,
                                        const ModelVersion& stable, const WindowStats& s, std::string* reason) {
  const RollbackPolicy& policy = entry.rollback;
  if (c.num_requests < policy.min_requests || s.num_requests < policy.min_requests) return false;
  if (c.error_rate() > s.error_rate() + policy.error_rate_margin) {
    *reason = format("error rate %.3f (%lld/%lld) over %g s exceeds stable %s's %.3f (%lld/%lld) + margin %.3f",
                     c.error_rate(), (long long)c.num_errors, (long long)c.num_requests, policy.window_seconds,
                     stable.version.c_str(), s.error_rate(), (long long)s.num_errors, (long long)s.num_requests,
                     policy.error_rate_margin);
    return true;
  }
  if (c.num_ok < policy.min_requests || s.num_ok < policy.min_requests) return false;
  double limit = s.p99_latency_s * (1.0 + policy.p99_latency_margin);
  if (c.p99_latency_s > limit && c.p99_latency_s - s.p99_latency_s > policy.p99_latency_min_delta_s) {
    *reason = format("p99 latency %s (%lld ok requests) over %g s exceeds stable %s's %s (%lld) x %.2f = %s",
                     ms(c.p99_latency_s).c_str(), (long long)c.num_ok, policy.window_seconds,
                     stable.version.c_str(), ms(s.p99_latency_s).c_str(), (long long)s.num_ok,
                     1.0 + policy.p99_latency_margin, ms(limit).c_str());
    return true;
  }
  return false;
}

std::vector<RollbackDecision> RollbackMonitor::evaluate(const RegistrySnapshot& snapshot,
                                                        MonitorClock::time_point now) {
  std::vector<RollbackDecision> decisions;
  std::lock_guard lock(mu_);

  // Drop what no listed version needs any more: unlisted versions, and samples past the window.
  std::unordered_map<std::string, MonitorClock::time_point> since_by_key;
  for (const auto& [name, entry] : snapshot.models) {
    for (const ModelVersion& v : entry.versions) {
      since_by_key[key(name, v.version)] = window_start(now, entry.rollback.window_seconds);
    }
  }
  for (auto it = samples_.begin(); it != samples_.end();) {
    auto since = since_by_key.find(it->first);
    if (since == since_by_key.end()) {
      it = samples_.erase(it);
      continue;
    }
    Samples& samples = it->second;
    while (!samples.empty() && samples.front().time <= since->second) samples.pop_front();
    it = samples.empty() ? samples_.erase(it) : std::next(it);
  }

  for (const auto& [name, entry] : snapshot.models) {
    const ModelVersion* stable = entry.stable_version();
    if (!entry.rollback.enabled || stable == nullptr) continue;
    auto stable_it = samples_.find(key(name, stable->version));
    if (stable_it == samples_.end()) continue;
    MonitorClock::time_point since = window_start(now, entry.rollback.window_seconds);
    WindowStats s = window_stats(stable_it->second, since);
    for (const ModelVersion& v : entry.versions) {
      if (&v == stable || v.weight <= 0.0 || v.state != VersionState::kActive) continue;
      auto it = samples_.find(key(name, v.version));
      if (it == samples_.end()) continue;
      WindowStats c = window_stats(it->second, since);
      std::string reason;
      if (!worse_than_stable(entry, c, *stable, s, &reason)) continue;
      decisions.push_back({name, v.version, std::move(reason), now});
      samples_.erase(it);
    }
  }
  return decisions;
}

WindowStats RollbackMonitor::stats(std::string_view model, std::string_view version, double window_seconds,
                                   MonitorClock::time_point now) const {
  std::lock_guard lock(mu_);
  auto it = samples_.find(key(model, version));
  if (it == samples_.end()) return {};
  return window_stats(it->second, window_start(now, window_seconds));
}

void RollbackMonitor::forget(std::string_view model, std::string_view version) {
  std::lock_guard lock(mu_);
  samples_.erase(key(model, version));
}

}  // namespace turbine::registry
