// Drives load at an OpenAI-compatible endpoint and records what each request saw. Open loop
// (sessions arrive at a rate, Poisson or gamma, optionally capped in flight), closed loop (a
// fixed number of users, each starting a new session when its last one ends), or a trace's
// own timestamps. Everything happens on the calling thread's event loop (the AsyncClient), so
// timestamps are taken as the bytes arrive and no lock is on the path.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "http/async_client.h"
#include "http/message.h"
#include "loadgen/openai_stream.h"
#include "loadgen/request_record.h"
#include "loadgen/summary.h"
#include "loadgen/text_synth.h"
#include "loadgen/workload.h"

namespace turbine::loadgen {

struct LoadProgress {
  double elapsed_s = 0;
  int64_t num_issued = 0;     // requests that arrived (sent or waiting for a slot)
  int64_t num_in_flight = 0;
  int64_t num_done = 0;       // ended, successfully or not
  int64_t num_failed = 0;
  int64_t output_tokens = 0;  // of the requests that ended
};

struct LoadOptions {
  std::string url = {};   // the endpoint, e.g. http://127.0.0.1:8000/v1/chat/completions
  http::Headers headers = {};  // sent with every request (authorization); content-type is added
  RequestShape shape = {};
  double request_rate = 0;  // sessions per second; 0: closed loop
  double burstiness = 1.0;  // gamma shape of the arrival gaps; 1: Poisson
  // Closed loop: the number of users. With a rate: the most requests in flight (arrivals
  // beyond wait their turn, and that wait shows as queue time). 0 with a rate: no cap.
  int64_t concurrency = 0;
  int64_t num_requests = 0;  // stop issuing after this many; 0: no count limit
  double duration_s = 0;     // stop issuing after this long; 0: no time limit
  std::chrono::milliseconds timeout{300'000};  // the longest silence within one request
  uint64_t seed = 0;         // arrival gaps
  // Counts output tokens when a server reports no usage; null: one token per token event.
  const TextSynthesizer* text = nullptr;
  // Once true (a SIGINT handler sets it), nothing more is issued and the run ends when the
  // requests in flight have; read on the loop thread whenever it would issue a request.
  const std::atomic<bool>* interrupted = nullptr;
  std::function<void(const LoadProgress&)> on_progress = {};  // on the loop thread
  std::chrono::milliseconds progress_interval{250};
};

struct LoadResult {
  std::vector<RequestRecord> records;  // in the order the requests ended
  ClientCost cost;
};

// Runs until the limits are reached and every request issued has ended; records are in the
// time frame of this call's start. Preconditions (the caller's flag checks): num_requests or
// duration_s set (or a trace, which ends by itself); a rate or a concurrency.
LoadResult run_load(const LoadOptions& options, Workload& workload, http::AsyncClient& client);

}  // namespace turbine::loadgen
