// The router: the pool of serving instances (fed by discovery, KV event streams and load
// reports) and, per request, the choice of an instance by the model's policy, with retries on
// another instance when one is full or unreachable before it answered. Every method may be
// called from any thread. Outputs reach the caller's sink on the instances' output threads (or,
// for a failure known at once, on the submitting thread, inside submit()); the sink must not
// block. A retry starts the next attempt (WorkerClient::generate()) on the output thread of the
// attempt that failed.
//
// Lifetimes: a request in flight holds its Instance, and with it the WorkerClient, until the
// client drops the request's sink. After remove_instance(), that may be the client's last
// reference, released on the client's own output thread: a WorkerClient's destructor must not
// join the thread it may run on.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "base/status.h"
#include "engine/block_pool.h"
#include "router/instance.h"
#include "router/policy.h"
#include "router/route_handle.h"
#include "worker/worker_client.h"

namespace turbine::telemetry {
class MetricsRegistry;
}

namespace turbine {

struct RouterCore;

struct RouterOptions {
  PolicyKind policy = PolicyKind::kLeastLoaded;      // for models without an override
  std::map<std::string, PolicyKind> model_policies;  // model -> policy
  // latency: probation thresholds on the EWMAs, EWMA weight of a new sample, time between probes
  double ttft_threshold_s = 2.0;
  double itl_threshold_s = 0.2;  // seconds per output token
  double ewma_alpha = 0.3;       // (0, 1]
  double probe_cooldown_s = 10.0;
  // kv: cost = overlap_weight x blocks to prefill + blocks in flight; temperature 0: argmin
  double kv_overlap_weight = 1.0;
  double kv_temperature = 0.0;
  int32_t max_attempts = 3;            // instances tried per request, the first included
  double unhealthy_cooldown_s = 5.0;   // skip an instance this long after it was unreachable
  telemetry::MetricsRegistry* metrics = nullptr;  // may be null; outlives the router
  std::function<Clock::time_point()> clock;       // null: Clock::now (tests inject their own)

  // kInvalidArgument naming the first bad field (flags come from the command line).
  Status validate() const;
};

// One instance as /metrics and the admin API show it.
struct InstanceStatus {
  InstanceInfo info;
  std::string client;           // WorkerClient::describe()
  int64_t num_in_flight = 0;    // requests from this router
  int64_t num_blocks_in_flight = 0;
  LoadReport load;              // the last report
  double ttft_ewma_s = -1.0;    // negative: no measurement yet
  double itl_ewma_s = -1.0;
  bool healthy = true;          // not inside an unhealthy cooldown
  bool slow = false;            // on latency probation (latency policy only)
  int64_t num_kv_blocks = 0;    // blocks the KV index believes it holds
};

class Router {
 public:
  // Precondition: options.validate() is ok.
  explicit Router(RouterOptions options = {});
  ~Router();
  Router(const Router&) = delete;
  Router& operator=(const Router&) = delete;

  // --- the pool (discovery, KV streams, load reports) ---

  // Adds an instance, or replaces the one with the same id (a restarted worker: its KV index
  // entries and signals start afresh). `client` must not be null.
  void add_instance(InstanceInfo info, std::shared_ptr<WorkerClient> client);
  // False if there was none. Its requests in flight finish normally.
  bool remove_instance(const std::string& id);
  // kNotFound for an unknown id (the stream raced a removal: drop the events).
  Status apply_kv_events(const std::string& id, const std::vector<KvEvent>& events);
  Status clear_kv(const std::string& id);  // its KV stream reconnected
  Status report_load(const std::string& id, const LoadReport& load);
  Status mark_unhealthy(const std::string& id, Clock::duration duration);

  std::vector<InstanceStatus> instances() const;  // in the order added
  // Whether some instance serves `model` (and `version`, unless "").
  bool has_instances(const std::string& model, const std::string& version = "") const;
  // Versions of `model` served now: sorted, distinct ("" if an instance is unversioned).
  std::vector<std::string> versions(const std::string& model) const;
  PolicyKind policy_for(const std::string& model) const;

  // --- routing ---

  // Routes one request to an instance of `model` (`version`; "" = any) and starts it there.
  // kNotFound when no instance serves it (the sink is never called). Otherwise a handle: every
  // output goes to `sink`, ending, as WorkerClient's, with one output per choice whose
  // finish_reason is set, or one kError output. When attempts fail before any output reached
  // the sink (full, unreachable or silent instances), the request moves to an instance not yet
  // tried, up to max_attempts; if all fail the sink gets one kError output with started ==
  // false and error_code kResourceExhausted when every failure was "full" (HTTP 429), else
  // kUnavailable (503). That final output may come before submit() returns.
  Result<std::shared_ptr<RouteHandle>> submit(const std::string& model, const std::string& version,
                                              WorkerRequest request, OutputSink sink);
  // Stops the request wherever it runs (the sink then gets the attempt's final kAbort outputs);
  // a retry in progress does not start. Idempotent; any thread.
  void cancel(const std::shared_ptr<RouteHandle>& handle);

 private:
  std::shared_ptr<RouterCore> core_;  // shared with the handles: requests may outlive the Router
};

}  // namespace turbine
