// A generation request inside the engine and the sequences (its n choices) it runs as, plus the
// outputs the engine sends back. Requests enter through Engine::submit (any thread); everything
// else here is read and written on the engine thread only.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "base/status.h"
#include "engine/kv_cache_manager.h"
#include "engine/sampler.h"

namespace turbine {

struct GenerationParams {
  SamplingParams sampling;
  int64_t max_tokens = 16;         // output tokens per choice; also capped by the context
  int64_t min_tokens = 0;          // stop tokens are masked until this many are generated
  bool ignore_eos = false;         // keep generating past stop tokens
  std::vector<int32_t> stop_token_ids;  // stop tokens besides the tokenizer's
  int32_t logprobs = -1;           // -1: none; k >= 0: the chosen token's and k top logprobs
  bool prompt_logprobs = false;    // logprobs of every prompt token (completions `echo`)
  int32_t n = 1;                   // choices, sharing the prompt's blocks
  int32_t priority = 0;            // lower runs first (vLLM's rule)
};

enum class FinishReason { kNone, kStop, kLength, kAbort, kError };
const char* finish_reason_name(FinishReason r);  // "stop", "length", "abort", "error"

struct TokenLogprob {
  int32_t token = -1;
  float logprob = 0.0f;
  std::vector<std::pair<int32_t, float>> top;  // best first
};

// What one step produced for one choice. Sent on the engine thread; the sink must not block.
struct RequestOutput {
  int32_t index = 0;                    // which of the n choices
  std::vector<TokenLogprob> tokens;     // tokens generated this step (logprob fields set if asked)
  FinishReason finish_reason = FinishReason::kNone;  // set on the choice's last output
  bool stopped_on_token = false;        // the last token is a stop token (not part of the text)
  std::string error;                    // finish_reason == kError
  ErrorCode error_code = ErrorCode::kOk;  // finish_reason == kError: what kind (worker_client.h)
  bool started = false;                 // kError from a worker client: outputs had come before
  std::string text;                     // external engines: generated text, when token ids are unknown
  int64_t num_prompt_tokens = 0;
  int64_t num_cached_tokens = 0;        // prompt tokens found in the prefix cache
  double queue_seconds = 0.0;           // from submit() to the first step that ran the request
  std::vector<TokenLogprob> prompt_logprobs;  // first output only, when asked; entry 0 empty
};
using OutputSink = std::function<void(RequestOutput&&)>;

struct EngineRequest {
  std::vector<int32_t> prompt;
  GenerationParams params;
  OutputSink sink;
};

using Clock = std::chrono::steady_clock;
struct Request;

enum class SequenceState { kWaiting, kRunning, kFinished };

struct Sequence {
  Request* request = nullptr;
  int32_t index = 0;                 // choice index within the request
  std::vector<int32_t> tokens;       // prompt then output
  int64_t num_prompt_tokens = 0;
  int64_t num_computed_tokens = 0;   // tokens whose KV is in the cache
  SequenceKv kv;
  SamplerState sampler;
  SequenceState state = SequenceState::kWaiting;
  FinishReason finish_reason = FinishReason::kNone;
  int32_t num_preemptions = 0;

  Sequence(Request* r, int32_t i, const std::vector<int32_t>& prompt, const SamplingParams& sp)
      : request(r), index(i), tokens(prompt), num_prompt_tokens(int64_t(prompt.size())),
        sampler(sp, prompt) {}
  int64_t num_output_tokens() const { return int64_t(tokens.size()) - num_prompt_tokens; }
  // Tokens known but not yet in the cache: a prompt chunk, or the last sampled token.
  int64_t num_uncomputed_tokens() const { return int64_t(tokens.size()) - num_computed_tokens; }
};

struct Request {
  uint64_t id = 0;
  uint64_t arrival_order = 0;        // first-come-first-served within a priority
  Clock::time_point arrival_time;
  std::vector<int32_t> prompt;
  GenerationParams params;
  OutputSink sink;
  std::vector<std::unique_ptr<Sequence>> seqs;  // seqs[0] runs the prompt; others fork from it
  int32_t num_unfinished = 0;
  int64_t num_cached_tokens = 0;     // prefix hit of the first admission
  bool forked = false;               // choices 1..n-1 exist
  bool prompt_logprobs_sent = false;
  double queue_seconds = 0.0;        // arrival to first scheduled
  bool admitted = false;             // seqs[0] was scheduled once (it left the bounded queue)
  std::vector<TokenLogprob> prompt_logprobs;  // gathered across prompt chunks
};

// Scheduling order: priority, then arrival, then choice.
struct SequenceOrder {
  bool operator()(const Sequence* a, const Sequence* b) const {
    if (a->request->params.priority != b->request->params.priority)
      return a->request->params.priority < b->request->params.priority;
    if (a->request->arrival_order != b->request->arrival_order)
      return a->request->arrival_order < b->request->arrival_order;
    return a->index < b->index;
  }
};

}  // namespace turbine
