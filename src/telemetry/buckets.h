// Bucket bounds (seconds) for the latency histograms, the same as vLLM's
// (vllm/v1/metrics/loggers.py), so dashboards built for vLLM read turbine's metrics unchanged.
// Pure functions; any thread.
#pragma once

#include <vector>

namespace turbine::telemetry {

std::vector<double> time_to_first_token_buckets();  // vllm:time_to_first_token_seconds
std::vector<double> inter_token_latency_buckets();   // vllm:inter_token_latency_seconds
std::vector<double> request_latency_buckets();       // e2e, queue, prefill, decode, inference time

}  // namespace turbine::telemetry
