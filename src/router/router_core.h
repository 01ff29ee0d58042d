// What a Router shares with its requests' handles: the options, the pool, the KV index and the
// metrics. Held by shared_ptr so a request whose outputs arrive after the Router is gone still
// finds it. Read-only after construction apart from the pool and index (thread-safe themselves).
#pragma once

#include <chrono>
#include <memory>
#include <mutex>

#include "router/instance_pool.h"
#include "router/kv_index.h"
#include "router/router.h"

namespace turbine::telemetry {
class Counter;
class Gauge;
class Histogram;
}  // namespace turbine::telemetry

namespace turbine {

struct RouterCore {
  explicit RouterCore(RouterOptions opts);

  Clock::time_point now() const { return options.clock ? options.clock() : Clock::now(); }

  RouterOptions options;
  Clock::duration unhealthy_cooldown;  // options.unhealthy_cooldown_s
  PolicyConfig policy_config;
  KvIndex kv_index;
  InstancePool pool;
  std::mutex admin_mu;  // orders pool changes with their KV index clears and the gauge

  // Null without a registry.
  telemetry::Histogram* overhead_seconds = nullptr;  // turbine:router_overhead_seconds
  telemetry::Counter* retries_total = nullptr;       // turbine:router_retries_total
  telemetry::Gauge* num_instances = nullptr;         // turbine:router_instances
};

}  // namespace turbine
