// A WorkerClient that fronts any OpenAI-compatible server (vLLM, llama.cpp's server, another
// turbine): the "openai" kind of `turbine worker`, so the router, registry and metrics manage
// external engines too. Token ids go upstream as a /v1/completions prompt (OpenAI accepts an
// array of ids); the streamed text comes back as RequestOutput::text, one output per event.
// What the OpenAI API cannot carry is refused up front: n > 1, logprobs, prompt logprobs.
// Outputs run on the HTTP client thread.
#pragma once

#include <atomic>
#include <chrono>
#include <memory>
#include <string>

#include "http/client_thread.h"
#include "worker/worker_client.h"

namespace turbine {

struct OpenAiUpstreamOptions {
  std::string base_url;        // "http://host:port" (with or without a trailing "/v1")
  std::string model;           // the upstream's model name
  std::string api_key;         // sent as a bearer token when set
  std::chrono::milliseconds timeout{60'000};  // the longest silence on a stream
};

class OpenAiUpstream : public WorkerClient {
 public:
  OpenAiUpstream(OpenAiUpstreamOptions options, std::shared_ptr<http::ClientThread> thread);
  ~OpenAiUpstream() override;

  Result<uint64_t> generate(WorkerRequest request, OutputSink sink) override;
  void cancel(uint64_t id) override;
  std::string describe() const override { return options_.base_url; }
  int64_t num_in_flight() const;  // the worker's load report

 private:
  struct State;
  OpenAiUpstreamOptions options_;
  std::shared_ptr<http::ClientThread> thread_;
  std::shared_ptr<State> state_;
};

// The /v1/completions body for `request` (stream on, usage asked for); what the upstream can't
// do is kInvalidArgument.
Result<std::string> upstream_completion_body(const WorkerRequest& request, const std::string& model);

}  // namespace turbine
