// One HTTP request for completions in flight: its prompts, each an engine request with n
// choices routed to an instance (router/), and the answer being built from their outputs — detokenized incrementally, cut at
// stop strings, streamed as SSE chunks or gathered into one JSON response, with its latencies
// recorded. Outputs arrive on the instances' threads; the job's lock also covers its start on the
// HTTP thread, so an output that comes before the stream has started waits for it.
#pragma once

#include <chrono>
#include <functional>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "api/chat_response.h"
#include "api/completion_response.h"
#include "engine/request.h"
#include "frontend/served_model.h"
#include "router/router.h"
#include "frontend/serving_metrics.h"
#include "http/responder.h"

namespace turbine {

struct JobOptions {
  bool chat = true;                   // chat.completion objects; else text_completion
  bool stream = false;
  bool include_usage = false;         // stream_options.include_usage
  bool continuous_usage = false;      // vLLM: usage on every chunk
  std::string id;                     // "chatcmpl-..." / "cmpl-..."
  int64_t created = 0;
  std::string model_name;
  std::vector<std::string> stop;      // stop strings
  bool include_stop_str = false;
  bool skip_special_tokens = true;
  bool logprobs = false;              // report logprobs of generated tokens
  bool echo = false;                  // completions: the prompt (and its logprobs) come first
};

// Where a job's requests go and who hears how it went.
struct JobRoute {
  Router* router = nullptr;   // outlives the job
  std::string model;          // the router's model name
  std::string version;        // "" = any version
  // Called once when the job ends: ok, and seconds from start to end (the registry's rollback
  // monitor). May be empty.
  std::function<void(bool ok, double seconds)> on_outcome;
};

struct JobPrompt {
  std::vector<int32_t> tokens;
  std::string text;                   // for echo
};

class GenerationJob : public std::enable_shared_from_this<GenerationJob> {
 public:
  // Routes every prompt to an instance and answers through `responder`: at once with an error
  // (429 when every instance is full, 503 when none is up), or as outputs arrive. `metrics`
  // must live as long as `owner`.
  static void start(std::shared_ptr<const ServedModel> model, JobRoute route, std::shared_ptr<ServingMetrics> owner,
                    ModelMetrics* metrics, JobOptions options, std::vector<JobPrompt> prompts,
                    GenerationParams params, http::Responder responder);

  GenerationJob(std::shared_ptr<const ServedModel> model, JobRoute route, std::shared_ptr<ServingMetrics> owner,
                ModelMetrics* metrics, JobOptions options, int32_t n);

 private:
  using Clock = std::chrono::steady_clock;
  struct Choice {
    explicit Choice(const Tokenizer& tok, bool skip_special) : detok(tok, skip_special) {}
    IncrementalDetokenizer detok;
    std::string text;                       // generated text so far, cut at a stop string
    size_t sent = 0;                        // bytes of `text` already streamed
    std::vector<api::TokenLogprob> logprobs;
    size_t logprobs_sent = 0;
    int64_t num_tokens = 0;                 // generated, stop token included (usage)
    int64_t text_offset_sent = 0;           // characters streamed (completions text_offset)
    bool started = false;                   // first chunk (role / echo) sent
    bool finished = false;
    api::FinishReason finish_reason = api::FinishReason::kStop;
    Clock::time_point last_token_time{};
  };
  struct Part {                             // one prompt = one routed request
    std::shared_ptr<RouteHandle> route;
    int64_t num_prompt_tokens = 0;
    int64_t num_cached_tokens = 0;
    int32_t first_prompt_token = -1;
    std::string echo_text;
    std::vector<api::TokenLogprob> echo_logprobs;
  };

  void on_output(size_t part, RequestOutput&& out);
  void append_tokens(Choice& c, const RequestOutput& out);
  void append_text(Choice& c, const std::string& piece);
  void finish_choice(Choice& c, api::FinishReason reason);
  void stream_choice(size_t index, Choice& c);
  void complete();
  void fail(const api::ApiError& error);
  void report_outcome(bool ok);
  void cancel_parts();
  void ensure_stream();  // streaming: the response headers, once
  api::Usage usage() const;
  api::TokenLogprob to_api(const TokenLogprob& t) const;
  std::string json_response() const;

  std::shared_ptr<const ServedModel> model_;
  JobRoute route_;
  std::shared_ptr<ServingMetrics> metrics_owner_;  // keeps *metrics_ alive
  ModelMetrics* metrics_;
  JobOptions options_;
  int32_t n_;
  std::recursive_mutex mu_;  // see start()
  std::vector<Part> parts_;
  std::vector<Choice> choices_;             // part * n + choice index
  size_t num_finished_ = 0;
  bool done_ = false;
  bool outcome_reported_ = false;
  http::Responder responder_;
  std::shared_ptr<http::ResponseStream> stream_;
  Clock::time_point start_time_;
  bool first_token_seen_ = false;
  size_t max_stop_bytes_ = 0;
};

}  // namespace turbine
