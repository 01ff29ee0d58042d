#include "router/router.h"

#include <algorithm>
#include <chrono>
#include <utility>

#include "router/router_core.h"
#include "telemetry/metrics_registry.h"

namespace turbine {
namespace {

// Router overhead is microseconds: buckets from 1 us to 10 ms.
std::vector<double> overhead_buckets() {
  return {1e-6, 2.5e-6, 5e-6, 1e-5, 2.5e-5, 5e-5, 1e-4, 2.5e-4, 5e-4, 1e-3, 2.5e-3, 1e-2};
}

Clock::duration to_duration(double seconds) {
  return std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
}

}  // namespace

Status RouterOptions::validate() const {
  if (!(ttft_threshold_s > 0.0)) return invalid_argument("router: ttft_threshold_s must be > 0");
  if (!(itl_threshold_s > 0.0)) return invalid_argument("router: itl_threshold_s must be > 0");
  if (!(ewma_alpha > 0.0 && ewma_alpha <= 1.0)) return invalid_argument("router: ewma_alpha must be in (0, 1]");
  if (!(probe_cooldown_s >= 0.0)) return invalid_argument("router: probe_cooldown_s must be >= 0");
  if (!(kv_overlap_weight >= 0.0)) return invalid_argument("router: kv_overlap_weight must be >= 0");
  if (!(kv_temperature >= 0.0)) return invalid_argument("router: kv_temperature must be >= 0");
  if (max_attempts < 1) return invalid_argument("router: max_attempts must be >= 1");
  if (!(unhealthy_cooldown_s >= 0.0)) return invalid_argument("router: unhealthy_cooldown_s must be >= 0");
  return Status::ok();
}

RouterCore::RouterCore(RouterOptions opts)
    : options(std::move(opts)),
      unhealthy_cooldown(to_duration(options.unhealthy_cooldown_s)),
      pool([this](const std::string& model) {
        auto it = options.model_policies.find(model);
        return make_policy(it == options.model_policies.end() ? options.policy : it->second, policy_config);
      }) {
  policy_config.ttft_threshold_s = options.ttft_threshold_s;
  policy_config.itl_threshold_s = options.itl_threshold_s;
  policy_config.probe_cooldown_s = options.probe_cooldown_s;
  policy_config.kv_overlap_weight = options.kv_overlap_weight;
  policy_config.kv_temperature = options.kv_temperature;
  policy_config.kv_index = &kv_index;
  if (telemetry::MetricsRegistry* m = options.metrics) {
    overhead_seconds = &m->histogram("turbine:router_overhead_seconds",
                                     "Time the router spends choosing an instance for a request (policy and "
                                     "bookkeeping, not the call that starts it there).",
                                     overhead_buckets())
                            .labels();
    retries_total = &m->counter("turbine:router_retries_total",
                                "Requests moved to another instance after one was full or unreachable.")
                         .labels();
    num_instances = &m->gauge("turbine:router_instances", "Instances in the router's pool.").labels();
  }
}

Router::Router(RouterOptions options) {
  const Status valid = options.validate();
  TB_CHECK(valid.is_ok(), valid.message());
  core_ = std::make_shared<RouterCore>(std::move(options));
}

Router::~Router() = default;

// --- the pool ---

void Router::add_instance(InstanceInfo info, std::shared_ptr<WorkerClient> client) {
  TB_CHECK(client != nullptr, "add_instance: null client for " + info.id);
  telemetry::Counter* requests_total = nullptr;
  if (telemetry::MetricsRegistry* m = core_->options.metrics) {
    requests_total = &m->counter("turbine:router_requests_total", "Requests the router sent to each instance.")
                          .labels({{"instance", info.id}});
  }
  auto instance = std::make_shared<Instance>(std::move(info), std::move(client), requests_total);
  std::lock_guard lock(core_->admin_mu);
  std::shared_ptr<Instance> replaced = core_->pool.add(std::move(instance));
  if (replaced) core_->kv_index.clear(replaced->key());
  if (core_->num_instances) core_->num_instances->set(double(core_->pool.snapshot()->instances.size()));
}

bool Router::remove_instance(const std::string& id) {
  std::lock_guard lock(core_->admin_mu);
  std::shared_ptr<Instance> removed = core_->pool.remove(id);
  if (!removed) return false;
  core_->kv_index.clear(removed->key());
  if (core_->num_instances) core_->num_instances->set(double(core_->pool.snapshot()->instances.size()));
  return true;
}

Status Router::apply_kv_events(const std::string& id, const std::vector<KvEvent>& events) {
  std::shared_ptr<Instance> inst = core_->pool.snapshot()->find(id);
  if (!inst) return not_found("router: no instance '" + id + "'");
  core_->kv_index.apply(inst->key(), events);
  // Removed (or replaced) while we applied: its clear() may have run first; clear again.
  if (core_->pool.snapshot()->find(id) != inst) core_->kv_index.clear(inst->key());
  return Status::ok();
}

Status Router::clear_kv(const std::string& id) {
  std::shared_ptr<Instance> inst = core_->pool.snapshot()->find(id);
  if (!inst) return not_found("router: no instance '" + id + "'");
  core_->kv_index.clear(inst->key());
  return Status::ok();
}

Status Router::report_load(const std::string& id, const LoadReport& load) {
  std::shared_ptr<Instance> inst = core_->pool.snapshot()->find(id);
  if (!inst) return not_found("router: no instance '" + id + "'");
  inst->set_load(load);
  return Status::ok();
}

Status Router::mark_unhealthy(const std::string& id, Clock::duration duration) {
  std::shared_ptr<Instance> inst = core_->pool.snapshot()->find(id);
  if (!inst) return not_found("router: no instance '" + id + "'");
  inst->mark_unhealthy_until(core_->now() + duration);
  return Status::ok();
}

std::vector<InstanceStatus> Router::instances() const {
  std::shared_ptr<const PoolSnapshot> snapshot = core_->pool.snapshot();
  const Clock::time_point now = core_->now();
  std::vector<InstanceStatus> out;
  out.reserve(snapshot->instances.size());
  for (const auto& inst : snapshot->instances) {
    InstanceStatus s;
    s.info = inst->info();
    s.client = inst->client().describe();
    s.num_in_flight = inst->num_in_flight();
    s.num_blocks_in_flight = inst->num_blocks_in_flight();
    s.load = inst->load();
    s.ttft_ewma_s = inst->ttft_ewma_s();
    s.itl_ewma_s = inst->itl_ewma_s();
    s.healthy = inst->is_healthy(now);
    s.slow = inst->is_slow();
    s.num_kv_blocks = core_->kv_index.num_blocks(inst->key());
    out.push_back(std::move(s));
  }
  return out;
}

bool Router::has_instances(const std::string& model, const std::string& version) const {
  std::shared_ptr<const PoolSnapshot> snapshot = core_->pool.snapshot();
  const ModelGroup* group = snapshot->group(model);
  if (!group) return false;
  if (version.empty()) return true;
  return std::any_of(group->instances.begin(), group->instances.end(),
                     [&](const auto& inst) { return inst->info().version == version; });
}

std::vector<std::string> Router::versions(const std::string& model) const {
  std::shared_ptr<const PoolSnapshot> snapshot = core_->pool.snapshot();
  std::vector<std::string> out;
  if (const ModelGroup* group = snapshot->group(model))
    for (const auto& inst : group->instances) out.push_back(inst->info().version);
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

PolicyKind Router::policy_for(const std::string& model) const {
  auto it = core_->options.model_policies.find(model);
  return it == core_->options.model_policies.end() ? core_->options.policy : it->second;
}

// --- routing ---

Result<std::shared_ptr<RouteHandle>> Router::submit(const std::string& model, const std::string& version,
                                                    WorkerRequest request, OutputSink sink) {
  const Clock::time_point t0 = Clock::now();
  std::shared_ptr<const PoolSnapshot> snapshot = core_->pool.snapshot();
  const ModelGroup* group = snapshot->group(model);
  const bool found = group && (version.empty() || std::any_of(group->instances.begin(), group->instances.end(),
                                                              [&](const auto& inst) {
                                                                return inst->info().version == version;
                                                              }));
  if (!found) {
    return not_found(version.empty() ? "no instance serves model '" + model + "'"
                                     : "no instance serves model '" + model + "' version '" + version + "'");
  }
  auto handle = std::make_shared<RouteHandle>(RouteHandle::Key(), core_, model, version, std::move(request),
                                              std::move(sink));
  const Clock::duration generate_time = handle->start(*snapshot);
  if (core_->overhead_seconds) {
    const Clock::duration overhead = Clock::now() - t0 - generate_time;
    core_->overhead_seconds->observe(std::chrono::duration<double>(overhead).count());
  }
  return handle;
}

void Router::cancel(const std::shared_ptr<RouteHandle>& handle) {
  if (handle) handle->cancel();
}

}  // namespace turbine
