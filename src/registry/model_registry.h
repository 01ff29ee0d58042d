// The model registry: models, versions, weights, aliases and rollback state, kept in the state
// store (see registry_event.h for the keys) so they survive restarts and every frontend sees a
// change made by any process (a prefix watch keeps an in-memory snapshot current). The hot path
// (resolve, record_outcome) reads that snapshot and never touches the store. A monitor thread
// evaluates automatic rollback every interval and writes its decisions back to the store.
// Threads: every method may be called from any thread; writes make store round trips (keep
// them off the HTTP io threads when the store is remote); resolve and record_outcome are cheap.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "control/store.h"
#include "registry/model_entry.h"
#include "registry/registry_event.h"
#include "registry/rollback_monitor.h"
#include "registry/version_picker.h"

namespace turbine::telemetry {
class MetricsRegistry;
template <typename Metric>
class MetricFamily;
class Counter;
}  // namespace turbine::telemetry

namespace turbine::registry {

struct ModelRegistryOptions {
  // How often the monitor thread evaluates automatic rollback; zero: no thread (the owner calls
  // tick(), as tests do).
  std::chrono::milliseconds evaluate_interval{1000};
  // Optional: counts turbine:registry_rollbacks_total{model,version}, the rollbacks this
  // process decided. Must outlive the registry.
  telemetry::MetricsRegistry* metrics = nullptr;
  // Events kept in the store; the oldest beyond this are deleted when a new one is written.
  size_t max_events = 1000;
};

class ModelRegistry {
 public:
  // Watches the registry's keys in `store` (which must outlive it), waits for the watch's first
  // snapshot and, unless the interval is zero, starts the monitor thread. Fails when the store
  // cannot be watched or sends no snapshot within 30 s.
  static Result<std::unique_ptr<ModelRegistry>> open(control::Store& store, ModelRegistryOptions options = {});
  ~ModelRegistry();  // stops the monitor thread and the watch
  ModelRegistry(const ModelRegistry&) = delete;
  ModelRegistry& operator=(const ModelRegistry&) = delete;

  // --- Reads: the in-memory snapshot, as of the latest store change seen (and this process's
  // own writes and rollbacks, applied at once).
  std::shared_ptr<const RegistrySnapshot> snapshot() const;
  std::vector<ModelEntry> list() const;  // by name
  std::optional<ModelEntry> get(std::string_view name) const;
  AliasMap aliases() const;
  std::vector<RegistryEvent> events(size_t limit = 100) const;  // newest first

  // --- Writes: read-modify-write of the store's current value. Within a process they are
  // serialized; between processes the last write wins (the store has no compare-and-swap).
  // Each records an event. kInvalidArgument for a bad value (naming the field), kNotFound for an
  // unknown model or version, store errors as they come.

  // Creates or replaces a whole entry (validated). Its name must not be an alias.
  Result<ModelEntry> put_model(const ModelEntry& entry);
  // A model without an entry gets one (so `turbine models set-weight m v1 1` starts it); a version
  // it does not list yet is added. A weight > 0 makes a
  // rolled-back version active again; the first version given a weight when none is stable
  // becomes the stable one.
  Result<ModelEntry> set_weight(std::string_view model, std::string_view version, double weight);
  // Makes `version` the baseline for rollback (active again if it was rolled back).
  Result<ModelEntry> set_stable(std::string_view model, std::string_view version);
  Result<ModelEntry> remove_version(std::string_view model, std::string_view version);
  // Aliases naming the model stay (they then resolve to the model with no entry: any version).
  Status remove_model(std::string_view model);
  // `alias` must not be a model with an entry and `model` must not be an alias (one level).
  Status set_alias(std::string_view alias, std::string_view model);
  Status remove_alias(std::string_view alias);

  // --- Hot path.
  // See version_picker.h.
  ResolvedModel resolve(std::string_view requested, const HasInstances& has_instances,
                        std::mt19937_64& rng) const;
  // A finished request of (model, version), for automatic rollback. Ignored unless the model
  // has an entry with rollback enabled that lists the version.
  void record_outcome(std::string_view model, std::string_view version, bool ok, double latency_s,
                      MonitorClock::time_point now = MonitorClock::now());

  // --- Automatic rollback: evaluates the window at `now` and rolls back the versions decided
  // on: at once in this process's snapshot (no more traffic from here), then in the store
  // (weight 0, state rolled_back, the reason) with a "rollback" event. A store write that fails
  // is retried on the next tick. The monitor thread calls this every evaluate_interval.
  std::vector<RollbackDecision> tick(MonitorClock::time_point now = MonitorClock::now());

 private:
  // A rollback decided here, overriding the store's view until the store shows it.
  struct PendingRollback {
    std::string reason;
    bool written = false;  // the store write succeeded (or found nothing to do)
    MonitorClock::time_point since;
  };
  using VersionKey = std::pair<std::string, std::string>;

  ModelRegistry(control::Store& store, ModelRegistryOptions options);
  Status start();
  void monitor_loop();

  // Store view (state_mu_ held).
  void load_locked(const std::vector<control::KeyValue>& kvs);
  void apply_put_locked(const std::string& key, const std::string& value);
  void apply_delete_locked(const std::string& key);
  void publish_locked();  // rebuilds the snapshot from the store view and the pending rollbacks
  void apply_put(const std::string& key, const std::string& value);
  void apply_delete(const std::string& key);

  // Writes (admin_mu_ held).
  Result<std::optional<ModelEntry>> read_model_locked(std::string_view name);
  Result<ModelEntry> update_model_locked(std::string_view model, std::string_view version, const char* kind,
                                         const std::function<Status(ModelEntry&, std::string*)>& change,
                                         bool create = false);  // create: a missing model starts empty
  Status write_model_locked(const ModelEntry& entry);
  void write_event_locked(RegistryEvent event);
  // Rolls (model, version) back in the store; true once done (or nothing left to do).
  bool write_rollback(const VersionKey& version, const std::string& reason);

  control::Store& store_;
  const ModelRegistryOptions options_;
  RollbackMonitor monitor_;
  telemetry::MetricFamily<telemetry::Counter>* rollbacks_total_ = nullptr;

  mutable std::mutex snapshot_mu_;  // guards snapshot_ (the pointer, not what it points to)
  std::shared_ptr<const RegistrySnapshot> snapshot_;

  mutable std::mutex state_mu_;  // guards the store view below and pending_
  RegistrySnapshot stored_;                       // as the store has it
  std::map<std::string, RegistryEvent> events_;   // by key: time order
  std::map<VersionKey, PendingRollback> pending_;

  std::mutex admin_mu_;  // serializes this process's writes; never taken by watch callbacks
  std::mt19937_64 event_nonce_rng_;  // guarded by admin_mu_

  std::unique_ptr<control::Watch> watch_;
  std::mutex stop_mu_;
  std::condition_variable stop_cv_;
  bool stopping_ = false;  // guarded by stop_mu_
  std::thread monitor_thread_;
};

}  // namespace turbine::registry
