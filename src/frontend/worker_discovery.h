// A cluster frontend's view of its workers: watches the store's worker registrations
// (kWorkersPrefix) and keeps the router's pool equal to them — a RemoteWorker per registration,
// its event stream feeding the router's KV index and load reports, and the model's tokenizer and
// chat template loaded into the catalog the first time a worker of a model appears. A lost event
// stream marks the instance unhealthy at once (a dead worker stops getting requests before its
// lease runs out); an expired lease removes it. Callbacks run on the store's watch thread and the
// HTTP client thread; start() and the destructor from the owning thread.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "control/store.h"
#include "frontend/model_catalog.h"
#include "http/client_thread.h"
#include "router/router.h"
#include "worker/remote_worker.h"

namespace turbine {

struct DiscoveryOptions {
  RemoteWorkerOptions worker;
  // How long an instance whose event stream broke is skipped (it is retried after; a dead one
  // leaves when its lease expires).
  std::chrono::milliseconds lost_cooldown{5'000};
};

class WorkerDiscovery {
 public:
  // All outlive the discovery. Models join `catalog` with metrics from `metrics`.
  WorkerDiscovery(control::Store& store, Router& router, ModelCatalog& catalog,
                  std::shared_ptr<ServingMetrics> metrics, DiscoveryOptions options = {});
  ~WorkerDiscovery();  // stops watching; the router keeps what it has

  Status start();

  // Registrations seen now (tests, logs).
  size_t num_workers() const;

 private:
  void on_snapshot(std::vector<control::KeyValue> snapshot);
  void on_put(const control::KeyValue& kv);
  void on_delete(const std::string& key);
  void add_worker(const std::string& key, const WorkerInfo& info);
  bool ensure_model(const WorkerInfo& info);  // false: its tokenizer could not be loaded

  control::Store& store_;
  Router& router_;
  ModelCatalog& catalog_;
  std::shared_ptr<ServingMetrics> metrics_;
  DiscoveryOptions options_;
  std::shared_ptr<http::ClientThread> thread_ = std::make_shared<http::ClientThread>();

  mutable std::mutex mu_;
  std::map<std::string, WorkerInfo> workers_;  // store key -> registration
  std::map<std::string, std::weak_ptr<RemoteWorker>> clients_;  // instance id -> its client
  std::unique_ptr<control::Watch> watch_;      // declared last: stopped first
};

}  // namespace turbine
