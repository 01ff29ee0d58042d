#include "frontend/worker_discovery.h"

#include <cstdio>
#include <set>

namespace turbine {

WorkerDiscovery::WorkerDiscovery(control::Store& store, Router& router, ModelCatalog& catalog,
                                 std::shared_ptr<ServingMetrics> metrics, DiscoveryOptions options)
    : store_(store), router_(router), catalog_(catalog), metrics_(std::move(metrics)), options_(options) {}

WorkerDiscovery::~WorkerDiscovery() {
  watch_.reset();
  // Their event callbacks name the router, which may go before the workers do (requests in
  // flight keep them): silence them now, synchronously.
  std::map<std::string, std::weak_ptr<RemoteWorker>> clients;
  {
    std::lock_guard<std::mutex> lk(mu_);
    clients.swap(clients_);
  }
  for (auto& [id, weak] : clients)
    if (auto w = weak.lock()) w->stop_events();
}

Status WorkerDiscovery::start() {
  control::WatchHandlers h;
  h.on_snapshot = [this](std::vector<control::KeyValue> s) { on_snapshot(std::move(s)); };
  h.on_event = [this](const control::WatchEvent& e) {
    if (e.type == control::WatchEvent::Type::kPut) on_put(e.kv);
    else on_delete(e.kv.key);
  };
  TB_ASSIGN_OR_RETURN(watch_, store_.watch_prefix(kWorkersPrefix, std::move(h)));
  return Status();
}

size_t WorkerDiscovery::num_workers() const {
  std::lock_guard<std::mutex> lk(mu_);
  return workers_.size();
}

void WorkerDiscovery::on_snapshot(std::vector<control::KeyValue> snapshot) {
  std::set<std::string> keys;
  for (const auto& kv : snapshot) keys.insert(kv.key);
  std::vector<std::string> gone;
  {
    std::lock_guard<std::mutex> lk(mu_);
    for (const auto& [key, info] : workers_)
      if (!keys.count(key)) gone.push_back(key);
  }
  for (const auto& key : gone) on_delete(key);
  for (const auto& kv : snapshot) on_put(kv);
}

void WorkerDiscovery::on_put(const control::KeyValue& kv) {
  auto info = decode_worker_info(kv.value);
  if (!info) {
    std::fprintf(stderr, "turbine: ignoring worker registration %s: %s\n", kv.key.c_str(), info.status().message().c_str());
    return;
  }
  {
    std::lock_guard<std::mutex> lk(mu_);
    auto it = workers_.find(kv.key);
    // A re-registration (new lease, same worker) changes nothing the router holds.
    if (it != workers_.end() && it->second == *info) return;
    workers_[kv.key] = *info;
  }
  add_worker(kv.key, *info);
}

void WorkerDiscovery::on_delete(const std::string& key) {
  WorkerInfo info;
  std::weak_ptr<RemoteWorker> weak;
  {
    std::lock_guard<std::mutex> lk(mu_);
    auto it = workers_.find(key);
    if (it == workers_.end()) return;
    info = std::move(it->second);
    workers_.erase(it);
    if (auto c = clients_.find(info.id); c != clients_.end()) {
      weak = c->second;
      clients_.erase(c);
    }
  }
  router_.remove_instance(info.id);
  if (auto w = weak.lock()) w->stop_events();  // requests in flight may keep it a while
  std::fprintf(stderr, "turbine: worker %s (%s) left\n", info.id.c_str(), info.model.c_str());
}

void WorkerDiscovery::add_worker(const std::string& key, const WorkerInfo& info) {
  if (!ensure_model(info)) {  // no tokenizer, no requests: forget it, so a re-registration retries
    std::lock_guard<std::mutex> lk(mu_);
    workers_.erase(key);
    return;
  }
  auto worker = std::make_shared<RemoteWorker>(info.address, thread_, options_.worker);
  InstanceInfo ii;
  ii.id = info.id;
  ii.model = info.model;
  ii.version = info.version;
  ii.address = info.address;
  ii.capacity = info.capacity;
  ii.block_size = info.block_size > 0 ? info.block_size : 16;
  router_.add_instance(ii, worker);
  {
    std::lock_guard<std::mutex> lk(mu_);
    clients_[info.id] = worker;
  }
  // The worker object lives in the router's pool; the callbacks only name the instance, so a
  // removed instance's late events are dropped by the router (kNotFound).
  Router* router = &router_;
  const auto cooldown = options_.lost_cooldown;
  worker->watch_events(
      [router, id = info.id](const WorkerEvent& e) {
        switch (e.kind) {
          case WorkerEvent::Kind::kReset: (void)router->clear_kv(id); break;
          case WorkerEvent::Kind::kLoad:
            (void)router->report_load(id, LoadReport{int32_t(e.load.num_running), int32_t(e.load.num_waiting),
                                                     e.load.kv_cache_usage});
            break;
          case WorkerEvent::Kind::kStored:
          case WorkerEvent::Kind::kRemoved: {
            std::vector<KvEvent> events;
            events.reserve(e.hashes.size());
            const auto kind = e.kind == WorkerEvent::Kind::kStored ? KvEvent::Kind::kStored : KvEvent::Kind::kRemoved;
            for (uint64_t h : e.hashes) events.push_back({kind, h});
            (void)router->apply_kv_events(id, events);
            break;
          }
        }
      },
      [router, id = info.id, cooldown](const Status& why) {
        (void)router->mark_unhealthy(id, cooldown);
        (void)router->clear_kv(id);
      });
  std::fprintf(stderr, "turbine: worker %s joined: model %s%s%s at %s\n", info.id.c_str(), info.model.c_str(),
               info.version.empty() ? "" : " version ", info.version.c_str(), info.address.c_str());
}

bool WorkerDiscovery::ensure_model(const WorkerInfo& info) {
  if (catalog_.find(info.model)) return true;
  auto card = load_model_card(info.model_path, info.model, info.max_model_len);
  if (!card) {
    std::fprintf(stderr, "turbine: model %s of worker %s: cannot load its tokenizer: %s\n", info.model.c_str(),
                 info.id.c_str(), card.status().message().c_str());
    return false;
  }
  std::shared_ptr<ServedModel> model = std::move(*card);
  catalog_.add({model, metrics_->add_model(info.model, nullptr)});
  return true;
}

}  // namespace turbine
