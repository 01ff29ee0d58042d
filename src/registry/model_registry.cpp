#include "registry/model_registry.h"

#include <atomic>
#include <cstdio>
#include <future>

#include <nlohmann/json.hpp>

#include "telemetry/metrics_registry.h"

namespace turbine::registry {

namespace {

using namespace std::chrono_literals;

// A rollback written to the store but never seen coming back (the watch skipped it in a fresh
// snapshot, an admin changed the version meanwhile) stops overriding the store after this.
constexpr auto kPendingRollbackLimit = 60s;
// How long open() waits for the watch's first snapshot.
constexpr auto kFirstSnapshotLimit = 30s;

void warn(const std::string& message) {
  std::fprintf(stderr, "turbine: registry: %s\n", message.c_str());
}

}  // namespace

ModelRegistry::ModelRegistry(control::Store& store, ModelRegistryOptions options)
    : store_(store),
      options_(options),
      snapshot_(std::make_shared<RegistrySnapshot>()),
      event_nonce_rng_(std::random_device{}()) {
  if (options_.metrics != nullptr) {
    rollbacks_total_ = &options_.metrics->counter("turbine:registry_rollbacks_total",
                                                  "Model versions rolled back automatically by this process.");
  }
}

Result<std::unique_ptr<ModelRegistry>> ModelRegistry::open(control::Store& store, ModelRegistryOptions options) {
  std::unique_ptr<ModelRegistry> registry(new ModelRegistry(store, options));
  TB_RETURN_IF_ERROR(registry->start().with_context("model registry on " + store.url()));
  return registry;
}

Status ModelRegistry::start() {
  // The first view is the watch's own snapshot: no change can fall between a read and the start
  // of the watch, and no write made after open() returns can be undone by a late first snapshot.
  struct FirstSnapshot {
    std::promise<void> loaded;
    std::atomic<bool> seen{false};
  };
  auto first = std::make_shared<FirstSnapshot>();
  std::future<void> loaded = first->loaded.get_future();
  control::WatchHandlers handlers;
  handlers.on_snapshot = [this, first](std::vector<control::KeyValue> snapshot) {
    std::lock_guard lock(state_mu_);
    load_locked(snapshot);
    if (!first->seen.exchange(true)) first->loaded.set_value();
  };
  handlers.on_event = [this](const control::WatchEvent& event) {
    std::lock_guard lock(state_mu_);
    if (event.type == control::WatchEvent::Type::kPut) {
      apply_put_locked(event.kv.key, event.kv.value);
    } else {
      apply_delete_locked(event.kv.key);
    }
    publish_locked();
  };
  TB_ASSIGN_OR_RETURN(watch_, store_.watch_prefix(kRegistryPrefix, std::move(handlers)));
  if (loaded.wait_for(kFirstSnapshotLimit) != std::future_status::ready) {
    watch_.reset();
    return deadline_exceeded("the store's watch sent no snapshot within " +
                             std::to_string(kFirstSnapshotLimit.count()) + " s");
  }
  if (options_.evaluate_interval.count() > 0) monitor_thread_ = std::thread([this] { monitor_loop(); });
  return Status::ok();
}

ModelRegistry::~ModelRegistry() {
  {
    std::lock_guard lock(stop_mu_);
    stopping_ = true;
  }
  stop_cv_.notify_all();
  if (monitor_thread_.joinable()) monitor_thread_.join();
  watch_.reset();  // after this no callback runs
}

void ModelRegistry::monitor_loop() {
  std::unique_lock lock(stop_mu_);
  while (!stop_cv_.wait_for(lock, options_.evaluate_interval, [this] { return stopping_; })) {
    lock.unlock();
    tick();
    lock.lock();
  }
}

// ---- The store view.

void ModelRegistry::load_locked(const std::vector<control::KeyValue>& kvs) {
  stored_ = {};
  events_.clear();
  for (const control::KeyValue& kv : kvs) apply_put_locked(kv.key, kv.value);
  publish_locked();
}

void ModelRegistry::apply_put_locked(const std::string& key, const std::string& value) {
  std::string_view k = key;
  if (k.starts_with(kModelsPrefix)) {
    std::string name(k.substr(kModelsPrefix.size()));
    Result<ModelEntry> entry = parse_model_entry(value);
    if (entry.is_ok() && entry->name != name) {
      entry = invalid_argument("name: \"" + entry->name + "\" does not match the key");
    }
    if (!entry.is_ok()) {
      // What a fresh process would see: no entry for the model.
      warn(key + ": " + entry.status().message() + " (ignored)");
      stored_.models.erase(name);
      return;
    }
    stored_.models.insert_or_assign(std::move(name), std::move(entry).value());
  } else if (k.starts_with(kAliasesPrefix)) {
    std::string alias(k.substr(kAliasesPrefix.size()));
    Status valid = validate_model_name(value, "model");
    if (!valid.is_ok()) {
      warn(key + ": " + valid.message() + " (ignored)");
      stored_.aliases.erase(alias);
      return;
    }
    stored_.aliases.insert_or_assign(std::move(alias), value);
  } else if (k.starts_with(kEventsPrefix)) {
    Result<nlohmann::json> json = parse_json_document(value, key);
    Result<RegistryEvent> event = json.is_ok() ? registry_event_from_json(*json) : Result<RegistryEvent>(json.status());
    if (!event.is_ok()) {
      warn(key + ": " + event.status().message() + " (ignored)");
      return;
    }
    events_.insert_or_assign(key, std::move(event).value());
  }
}

void ModelRegistry::apply_delete_locked(const std::string& key) {
  std::string_view k = key;
  if (k.starts_with(kModelsPrefix)) {
    auto it = stored_.models.find(k.substr(kModelsPrefix.size()));
    if (it != stored_.models.end()) stored_.models.erase(it);
  } else if (k.starts_with(kAliasesPrefix)) {
    auto it = stored_.aliases.find(k.substr(kAliasesPrefix.size()));
    if (it != stored_.aliases.end()) stored_.aliases.erase(it);
  } else if (k.starts_with(kEventsPrefix)) {
    events_.erase(key);
  }
}

void ModelRegistry::publish_locked() {
  auto snapshot = std::make_shared<RegistrySnapshot>(stored_);
  const auto now = MonitorClock::now();
  for (auto it = pending_.begin(); it != pending_.end();) {
    const auto& [key, pending] = *it;
    auto model = snapshot->models.find(key.first);
    ModelVersion* version = model == snapshot->models.end() ? nullptr : model->second.find_version(key.second);
    bool store_has_it = version == nullptr || version->weight <= 0.0;
    if (store_has_it || (pending.written && now - pending.since > kPendingRollbackLimit)) {
      it = pending_.erase(it);
      continue;
    }
    version->weight = 0.0;
    version->state = VersionState::kRolledBack;
    version->rolled_back_reason = pending.reason;
    ++it;
  }
  std::lock_guard lock(snapshot_mu_);
  snapshot_ = std::move(snapshot);
}

void ModelRegistry::apply_put(const std::string& key, const std::string& value) {
  std::lock_guard lock(state_mu_);
  apply_put_locked(key, value);
  publish_locked();
}

void ModelRegistry::apply_delete(const std::string& key) {
  std::lock_guard lock(state_mu_);
  apply_delete_locked(key);
  publish_locked();
}

// ---- Reads.

std::shared_ptr<const RegistrySnapshot> ModelRegistry::snapshot() const {
  std::lock_guard lock(snapshot_mu_);
  return snapshot_;
}

std::vector<ModelEntry> ModelRegistry::list() const {
  auto snap = snapshot();
  std::vector<ModelEntry> out;
  out.reserve(snap->models.size());
  for (const auto& [name, entry] : snap->models) out.push_back(entry);
  return out;
}

std::optional<ModelEntry> ModelRegistry::get(std::string_view name) const {
  auto snap = snapshot();
  const ModelEntry* entry = snap->find_model(name);
  if (entry == nullptr) return std::nullopt;
  return *entry;
}

AliasMap ModelRegistry::aliases() const { return snapshot()->aliases; }

std::vector<RegistryEvent> ModelRegistry::events(size_t limit) const {
  std::lock_guard lock(state_mu_);
  std::vector<RegistryEvent> out;
  for (auto it = events_.rbegin(); it != events_.rend() && out.size() < limit; ++it) out.push_back(it->second);
  return out;
}

// ---- Hot path.

ResolvedModel ModelRegistry::resolve(std::string_view requested, const HasInstances& has_instances,
                                     std::mt19937_64& rng) const {
  return registry::resolve(*snapshot(), requested, has_instances, rng);
}

void ModelRegistry::record_outcome(std::string_view model, std::string_view version, bool ok, double latency_s,
                                   MonitorClock::time_point now) {
  auto snap = snapshot();
  const ModelEntry* entry = snap->find_model(model);
  if (entry == nullptr || !entry->rollback.enabled || entry->find_version(version) == nullptr) return;
  monitor_.record(model, version, ok, latency_s, now);
}

// ---- Automatic rollback.

std::vector<RollbackDecision> ModelRegistry::tick(MonitorClock::time_point now) {
  std::vector<RollbackDecision> decisions = monitor_.evaluate(*snapshot(), now);
  if (!decisions.empty()) {
    // No more traffic from this process at once, before the store write round-trips.
    std::lock_guard lock(state_mu_);
    for (const RollbackDecision& d : decisions) {
      pending_.insert_or_assign(VersionKey{d.model, d.version},
                                PendingRollback{d.reason, /*written=*/false, MonitorClock::now()});
    }
    publish_locked();
  }
  for (const RollbackDecision& d : decisions) {
    warn("rolled back " + d.model + ":" + d.version + ": " + d.reason);
    if (rollbacks_total_ != nullptr) rollbacks_total_->labels({{"model", d.model}, {"version", d.version}}).inc();
  }
  // This tick's decisions, and earlier ones whose store write failed.
  std::vector<std::pair<VersionKey, std::string>> unwritten;
  {
    std::lock_guard lock(state_mu_);
    for (const auto& [key, pending] : pending_) {
      if (!pending.written) unwritten.emplace_back(key, pending.reason);
    }
  }
  for (const auto& [key, reason] : unwritten) {
    if (!write_rollback(key, reason)) continue;
    std::lock_guard lock(state_mu_);
    auto it = pending_.find(key);
    if (it != pending_.end()) it->second.written = true;
  }
  return decisions;
}

bool ModelRegistry::write_rollback(const VersionKey& key, const std::string& reason) {
  std::lock_guard admin(admin_mu_);
  Result<std::optional<ModelEntry>> current = read_model_locked(key.first);
  if (!current.is_ok()) {
    warn("rollback of " + key.first + ":" + key.second + " not written yet: " + current.status().message());
    return false;
  }
  if (!current->has_value()) return true;  // removed meanwhile: nothing left to roll back
  ModelEntry entry = std::move(**current);
  ModelVersion* version = entry.find_version(key.second);
  if (version == nullptr || version->weight <= 0.0 || version->stable) return true;
  version->weight = 0.0;
  version->state = VersionState::kRolledBack;
  version->rolled_back_reason = reason;
  Status written = write_model_locked(entry);
  if (!written.is_ok()) {
    warn("rollback of " + key.first + ":" + key.second + " not written yet: " + written.message());
    return false;
  }
  write_event_locked({.kind = "rollback", .model = key.first, .version = key.second, .reason = reason});
  return true;
}

}  // namespace turbine::registry
