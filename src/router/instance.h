// One serving instance as the router sees it: what it is (InstanceInfo), how to reach it (its
// WorkerClient), and the signals the policies read (requests in flight from this router, the
// instance's last load report, latency EWMAs, health). Every method may be called from any
// thread: the fields are atomics, written by the output threads of requests and read by pickers.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>

#include "engine/request.h"
#include "worker/worker_client.h"

namespace turbine::telemetry {
class Counter;
}

namespace turbine {

struct InstanceInfo {
  std::string id;           // unique in the pool ("worker-3", "local-0")
  std::string model;        // served model name, as clients ask for it
  std::string version;      // registry version ("v2"); "" when unversioned
  std::string address;      // "" for an in-process engine; "host:port" for a remote worker
  int32_t capacity = 0;     // requests it runs at once (max_num_seqs); 0 unknown. Informational.
  int32_t block_size = 16;  // KV block size in tokens: the prefix keys are per block size
};

// What an instance says about itself, periodically (worker load reports).
struct LoadReport {
  int32_t num_running = 0;      // sequences in its running batch
  int32_t num_waiting = 0;      // requests queued, not yet scheduled
  double kv_cache_usage = 0.0;  // fraction of its KV blocks in use, [0, 1]
};

class Instance : public std::enable_shared_from_this<Instance> {
 public:
  // `requests_total` (may be null): the per-instance routed-requests counter.
  Instance(InstanceInfo info, std::shared_ptr<WorkerClient> client,
           telemetry::Counter* requests_total = nullptr);
  Instance(const Instance&) = delete;
  Instance& operator=(const Instance&) = delete;

  const InstanceInfo& info() const { return info_; }
  const std::string& id() const { return info_.id; }
  // Unique in the process, never reused: the KV index's name for this instance (a replaced
  // instance with the same id gets a new key, so its old cache entries cannot leak into it).
  uint32_t key() const { return key_; }
  WorkerClient& client() const { return *client_; }

  // One attempt routed here starts / ends. `num_blocks`: its KV footprint estimate (prompt +
  // expected decode blocks); begin and end must pass the same value.
  void begin_request(int64_t num_blocks);
  void end_request(int64_t num_blocks);
  int64_t num_in_flight() const { return num_in_flight_.load(std::memory_order_relaxed); }
  int64_t num_blocks_in_flight() const { return num_blocks_in_flight_.load(std::memory_order_relaxed); }

  void set_load(const LoadReport& load);
  LoadReport load() const;

  // Latency EWMAs in seconds: ewma = alpha * sample + (1 - alpha) * ewma; the first sample is
  // taken as is. Negative until the first sample.
  void observe_ttft(double seconds, double alpha);
  void observe_itl(double seconds, double alpha);
  double ttft_ewma_s() const { return ttft_ewma_s_.load(std::memory_order_relaxed); }
  double itl_ewma_s() const { return itl_ewma_s_.load(std::memory_order_relaxed); }

  // Health: an instance that failed as unreachable (or went silent) is skipped until `until`.
  void mark_unhealthy_until(Clock::time_point until);
  bool is_healthy(Clock::time_point now) const {
    return now.time_since_epoch().count() >= unhealthy_until_ns_.load(std::memory_order_relaxed);
  }
  Clock::time_point unhealthy_until() const;

  // Latency-aware probation (latency_aware_policy.cpp). slow_since: when the policy first saw
  // this instance over a threshold, or when its last probe ended; epoch (0) when not slow.
  Clock::time_point slow_since() const;
  void set_slow_since(Clock::time_point t);
  void clear_slow() { slow_since_ns_.store(0, std::memory_order_relaxed); }
  bool is_slow() const { return slow_since_ns_.load(std::memory_order_relaxed) != 0; }
  // At most one probe at a time: true when the caller now owns the probe.
  bool try_begin_probe();
  // The probe request ended: the next probe waits a full cooldown from `now`.
  void end_probe(Clock::time_point now);

  telemetry::Counter* requests_total() const { return requests_total_; }

 private:
  static void observe_ewma(std::atomic<double>& ewma, double sample, double alpha);

  const InstanceInfo info_;
  const uint32_t key_;
  const std::shared_ptr<WorkerClient> client_;
  telemetry::Counter* const requests_total_;

  std::atomic<int64_t> num_in_flight_{0};
  std::atomic<int64_t> num_blocks_in_flight_{0};
  std::atomic<int32_t> load_running_{0};
  std::atomic<int32_t> load_waiting_{0};
  std::atomic<double> load_kv_usage_{0.0};
  std::atomic<double> ttft_ewma_s_{-1.0};
  std::atomic<double> itl_ewma_s_{-1.0};
  std::atomic<int64_t> unhealthy_until_ns_{0};  // Clock ticks since its epoch
  std::atomic<int64_t> slow_since_ns_{0};       // Clock ticks since its epoch; 0: not slow
  std::atomic<bool> probe_in_flight_{false};
};

}  // namespace turbine
