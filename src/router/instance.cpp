#include "router/instance.h"

#include <algorithm>
#include <utility>

#include "base/check.h"
#include "telemetry/counter.h"

namespace turbine {
namespace {

std::atomic<uint32_t> g_next_instance_key{1};

int64_t ticks(Clock::time_point t) { return t.time_since_epoch().count(); }
Clock::time_point from_ticks(int64_t n) { return Clock::time_point(Clock::duration(n)); }

}  // namespace

Instance::Instance(InstanceInfo info, std::shared_ptr<WorkerClient> client, telemetry::Counter* requests_total)
    : info_(std::move(info)),
      key_(g_next_instance_key.fetch_add(1, std::memory_order_relaxed)),
      client_(std::move(client)),
      requests_total_(requests_total) {
  TB_CHECK(info_.block_size > 0, "instance " + info_.id + ": block_size must be positive");
}

void Instance::begin_request(int64_t num_blocks) {
  num_in_flight_.fetch_add(1, std::memory_order_relaxed);
  num_blocks_in_flight_.fetch_add(num_blocks, std::memory_order_relaxed);
  if (requests_total_) requests_total_->inc();
}

void Instance::end_request(int64_t num_blocks) {
  num_in_flight_.fetch_sub(1, std::memory_order_relaxed);
  num_blocks_in_flight_.fetch_sub(num_blocks, std::memory_order_relaxed);
}

void Instance::set_load(const LoadReport& load) {
  load_running_.store(load.num_running, std::memory_order_relaxed);
  load_waiting_.store(load.num_waiting, std::memory_order_relaxed);
  load_kv_usage_.store(load.kv_cache_usage, std::memory_order_relaxed);
}

LoadReport Instance::load() const {
  // The three fields may come from two different reports; the policies only need each one.
  return LoadReport{load_running_.load(std::memory_order_relaxed), load_waiting_.load(std::memory_order_relaxed),
                    load_kv_usage_.load(std::memory_order_relaxed)};
}

void Instance::observe_ewma(std::atomic<double>& ewma, double sample, double alpha) {
  if (!(sample >= 0.0)) return;  // NaN or a clock that went backwards
  double old = ewma.load(std::memory_order_relaxed);
  for (;;) {
    const double next = old < 0.0 ? sample : alpha * sample + (1.0 - alpha) * old;
    if (ewma.compare_exchange_weak(old, next, std::memory_order_relaxed)) return;
  }
}

void Instance::observe_ttft(double seconds, double alpha) { observe_ewma(ttft_ewma_s_, seconds, alpha); }
void Instance::observe_itl(double seconds, double alpha) { observe_ewma(itl_ewma_s_, seconds, alpha); }

void Instance::mark_unhealthy_until(Clock::time_point until) {
  // Keep the later mark: two failures racing must not shorten the cooldown.
  int64_t old = unhealthy_until_ns_.load(std::memory_order_relaxed);
  const int64_t next = ticks(until);
  while (old < next && !unhealthy_until_ns_.compare_exchange_weak(old, next, std::memory_order_relaxed)) {
  }
}

Clock::time_point Instance::unhealthy_until() const {
  return from_ticks(unhealthy_until_ns_.load(std::memory_order_relaxed));
}

Clock::time_point Instance::slow_since() const {
  return from_ticks(slow_since_ns_.load(std::memory_order_relaxed));
}

void Instance::set_slow_since(Clock::time_point t) {
  // 0 means "not slow"; a clock at its epoch (an injected test clock) marks 1 tick instead.
  slow_since_ns_.store(std::max<int64_t>(ticks(t), 1), std::memory_order_relaxed);
}

bool Instance::try_begin_probe() {
  bool expected = false;
  return probe_in_flight_.compare_exchange_strong(expected, true, std::memory_order_acq_rel);
}

void Instance::end_probe(Clock::time_point now) {
  if (is_slow()) set_slow_since(now);
  probe_in_flight_.store(false, std::memory_order_release);
}

}  // namespace turbine
