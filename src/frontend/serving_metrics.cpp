#include "frontend/serving_metrics.h"

#include "telemetry/buckets.h"

namespace turbine {

namespace {

telemetry::Labels model_label(const std::string& model) { return {{"model_name", model}}; }

std::vector<double> step_time_buckets() {
  return {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0};
}

}  // namespace

ServingMetrics::ServingMetrics() {
  // Registration order is render order: gauges, counters, then histograms, as vLLM lists them.
  registry_.gauge("vllm:num_requests_running", "Number of requests in model execution batches.");
  registry_.gauge("vllm:num_requests_waiting", "Number of requests waiting to be processed.");
  registry_.gauge("vllm:kv_cache_usage_perc", "KV-cache usage. 1 means 100 percent usage.");
  registry_.counter("vllm:prefix_cache_queries_total", "Prefix cache queries, in terms of number of queried tokens.");
  registry_.counter("vllm:prefix_cache_hits_total", "Prefix cache hits, in terms of number of cached tokens.");
  registry_.counter("vllm:prompt_tokens_total", "Number of prefill tokens processed.");
  registry_.counter("vllm:generation_tokens_total", "Number of generation tokens processed.");
  registry_.counter("vllm:num_preemptions_total", "Cumulative number of preemption from the engine.");
  registry_.counter("vllm:request_success_total", "Count of successfully processed requests.");
  registry_.histogram("vllm:time_to_first_token_seconds", "Histogram of time to first token in seconds.",
                      telemetry::time_to_first_token_buckets());
  registry_.histogram("vllm:inter_token_latency_seconds", "Histogram of inter-token latency in seconds.",
                      telemetry::inter_token_latency_buckets());
  registry_.histogram("vllm:e2e_request_latency_seconds", "Histogram of e2e request latency in seconds.",
                      telemetry::request_latency_buckets());
  registry_.histogram("vllm:request_queue_time_seconds", "Histogram of time spent in WAITING phase for request.",
                      telemetry::request_latency_buckets());
  registry_.gauge("turbine_batch_size", "Sequences in the engine's last step.");
  registry_.gauge("turbine_step_tokens", "Tokens computed in the engine's last step.");
  registry_.gauge("turbine_token_budget", "Token budget of the engine's last step (dynamic with --target-itl-ms).");
  registry_.counter("turbine_steps_total", "Engine steps run.");
  registry_.counter("turbine_prompt_chunks_total", "Prompt chunks computed: steps x sequences computing part of a prompt.");
  registry_.histogram("turbine_step_time_seconds", "Wall time of one engine step.", step_time_buckets());
}

ModelMetrics* ServingMetrics::add_model(const std::string& model, Engine* engine) {
  const auto l = model_label(model);
  std::lock_guard<std::mutex> lk(mu_);
  if (auto it = entries_.find(model); it != entries_.end() && !engine) return &it->second.metrics;
  ModelMetrics m{
      &registry_.histogram("vllm:time_to_first_token_seconds", "", telemetry::time_to_first_token_buckets()).labels(l),
      &registry_.histogram("vllm:inter_token_latency_seconds", "", telemetry::inter_token_latency_buckets()).labels(l),
      &registry_.histogram("vllm:e2e_request_latency_seconds", "", telemetry::request_latency_buckets()).labels(l),
      &registry_.histogram("vllm:request_queue_time_seconds", "", telemetry::request_latency_buckets()).labels(l),
      &registry_.histogram("turbine_step_time_seconds", "", step_time_buckets()).labels(l),
      &registry_.counter("vllm:request_success_total", "").labels(l),
  };
  Entry& e = entries_[model];
  e.engine = engine;
  e.metrics = m;
  if (!engine) return &e.metrics;
  telemetry::Histogram* step_time = m.step_time;
  engine->set_step_observer([self = shared_from_this(), step_time](const StepInfo& s) { step_time->observe(s.seconds); });
  return &e.metrics;
}

void ServingMetrics::sync_engine(const std::string& model, Entry& e) {
  const EngineStats& s = e.engine->stats();
  const auto l = model_label(model);
  registry_.gauge("vllm:num_requests_running", "").labels(l).set(double(s.num_running.load()));
  registry_.gauge("vllm:num_requests_waiting", "").labels(l).set(double(s.num_waiting.load()));
  registry_.gauge("vllm:kv_cache_usage_perc", "").labels(l).set(s.kv_cache_usage.load());
  registry_.gauge("turbine_batch_size", "").labels(l).set(double(s.last_batch_size.load()));
  registry_.gauge("turbine_step_tokens", "").labels(l).set(double(s.last_step_tokens.load()));
  registry_.gauge("turbine_token_budget", "").labels(l).set(double(s.token_budget.load()));
  // Engine totals become counter increments since the last scrape.
  auto add = [&](const char* name, int64_t now, int64_t& reported) {
    if (now > reported) registry_.counter(name, "").labels(l).inc(double(now - reported));
    else registry_.counter(name, "").labels(l);  // the child exists from the first scrape
    reported = std::max(reported, now);
  };
  add("vllm:prefix_cache_queries_total", s.prefix_cache_queries.load(), e.reported.prefix_queries);
  add("vllm:prefix_cache_hits_total", s.prefix_cache_hits.load(), e.reported.prefix_hits);
  add("vllm:prompt_tokens_total", s.prompt_tokens.load(), e.reported.prompt_tokens);
  add("vllm:generation_tokens_total", s.generation_tokens.load(), e.reported.generation_tokens);
  add("vllm:num_preemptions_total", s.num_preemptions.load(), e.reported.preemptions);
  add("turbine_steps_total", s.num_steps.load(), e.reported.steps);
  add("turbine_prompt_chunks_total", s.num_prompt_chunks.load(), e.reported.prompt_chunks);
}

std::string ServingMetrics::render() {
  {
    std::lock_guard<std::mutex> lk(mu_);
    for (auto& [model, e] : entries_)
      if (e.engine) sync_engine(model, e);
  }
  return registry_.render();
}

}  // namespace turbine
