// The metrics /metrics exposes, per served model (label model_name), under vLLM's names so
// dashboards and autoscalers built for vLLM work unchanged, plus turbine_* for what vLLM lacks.
// Request latencies are observed by the frontend as outputs arrive (engine thread); engine
// counters and gauges are read from EngineStats when /metrics is scraped (an HTTP thread).
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "engine/engine.h"
#include "telemetry/metrics_registry.h"

namespace turbine {

// One model's metric children: references kept for the hot path.
struct ModelMetrics {
  telemetry::Histogram* time_to_first_token;  // seconds
  telemetry::Histogram* inter_token_latency;  // seconds
  telemetry::Histogram* e2e_request_latency;  // seconds
  telemetry::Histogram* request_queue_time;   // seconds
  telemetry::Histogram* step_time;            // turbine: seconds per engine step
  telemetry::Counter* request_success;        // finished requests
};

// Owned through a shared_ptr: engines (their step observers) and requests in flight keep it alive
// past the frontend that made it.
class ServingMetrics : public std::enable_shared_from_this<ServingMetrics> {
 public:
  ServingMetrics();
  // Registers `model` (its label set) and, when it runs in this process, observes its engine's
  // steps (before serving). Without an engine (a model served by workers) only the request
  // latencies are kept; asking again for such a model returns the same children.
  ModelMetrics* add_model(const std::string& model, Engine* engine);
  // Where the router's and registry's own families go, so one /metrics shows them all.
  telemetry::MetricsRegistry& registry() { return registry_; }
  // The Prometheus text, with engine gauges and counters read now.
  std::string render();

 private:
  struct EngineCounters {  // last values added to the counters (engine stats are totals)
    int64_t prompt_tokens = 0, generation_tokens = 0, preemptions = 0, prefix_queries = 0,
            prefix_hits = 0, prompt_chunks = 0, steps = 0;
  };
  struct Entry {
    Engine* engine = nullptr;
    ModelMetrics metrics;
    EngineCounters reported;
  };
  void sync_engine(const std::string& model, Entry& e);

  telemetry::MetricsRegistry registry_;
  std::mutex mu_;  // guards entries_ and the reported counts
  std::map<std::string, Entry> entries_;
};

}  // namespace turbine
