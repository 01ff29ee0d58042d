#include "frontend/generation_job.h"

#include <algorithm>

#include "api/api_error.h"
#include "frontend/error_response.h"
#include "http/sse.h"

namespace turbine {

namespace {

// The longest prefix of `text` that ends on a UTF-8 character boundary, at most `limit` bytes.
size_t char_boundary_at_most(const std::string& text, size_t limit) {
  size_t i = std::min(limit, text.size());
  while (i > 0 && i < text.size() && (static_cast<unsigned char>(text[i]) & 0xC0) == 0x80) --i;
  return i;
}

// The answer for a request that ended in error: its kind decides the status (worker_client.h).
api::ApiError error_of(const RequestOutput& out) {
  const std::string message = out.error.empty() ? "the request was aborted" : out.error;
  if (out.finish_reason == FinishReason::kAbort) return api::server_error(message);
  switch (out.error_code) {
    case ErrorCode::kResourceExhausted: return api::rate_limited("the server is busy: " + message);
    case ErrorCode::kUnavailable:
    case ErrorCode::kDeadlineExceeded: return api::service_unavailable(message);
    case ErrorCode::kInvalidArgument: return api::invalid_request(message);
    default: return api::server_error(message);
  }
}

api::FinishReason api_reason(FinishReason r) {
  return r == FinishReason::kLength ? api::FinishReason::kLength : api::FinishReason::kStop;
}

}  // namespace

GenerationJob::GenerationJob(std::shared_ptr<const ServedModel> model, JobRoute route,
                             std::shared_ptr<ServingMetrics> owner, ModelMetrics* metrics, JobOptions options, int32_t n)
    : model_(std::move(model)), route_(std::move(route)), metrics_owner_(std::move(owner)), metrics_(metrics),
      options_(std::move(options)), n_(n), start_time_(Clock::now()) {
  for (const auto& s : options_.stop) max_stop_bytes_ = std::max(max_stop_bytes_, s.size());
}

void GenerationJob::start(std::shared_ptr<const ServedModel> model, JobRoute route, std::shared_ptr<ServingMetrics> owner,
                          ModelMetrics* metrics, JobOptions options, std::vector<JobPrompt> prompts,
                          GenerationParams params, http::Responder responder) {
  auto job = std::make_shared<GenerationJob>(model, std::move(route), std::move(owner), metrics, std::move(options),
                                             params.n);
  {
    // Outputs from other threads wait until the job is set up. A failure the router knows at once
    // comes on this thread, inside submit() (the lock is recursive for it): it answers, and the
    // set-up stops.
    std::lock_guard<std::recursive_mutex> lk(job->mu_);
    job->responder_ = std::move(responder);
    for (size_t p = 0; p < prompts.size(); ++p) {
      for (int32_t i = 0; i < params.n; ++i)
        job->choices_.emplace_back(*model->tokenizer, job->options_.skip_special_tokens);
      Part part;
      part.num_prompt_tokens = int64_t(prompts[p].tokens.size());
      part.first_prompt_token = prompts[p].tokens.empty() ? -1 : prompts[p].tokens[0];
      part.echo_text = std::move(prompts[p].text);
      job->parts_.push_back(std::move(part));
    }
    for (size_t p = 0; p < prompts.size() && !job->done_; ++p) {
      WorkerRequest req;
      req.prompt = std::move(prompts[p].tokens);
      req.params = params;
      auto handle = job->route_.router->submit(job->route_.model, job->route_.version, std::move(req),
                                               [job, p](RequestOutput&& out) { job->on_output(p, std::move(out)); });
      if (!handle) {
        const Status& s = handle.status();
        job->fail(s.code() == ErrorCode::kNotFound ? api::service_unavailable(s.message()) : api::server_error(s.message()));
        return;
      }
      job->parts_[p].route = std::move(*handle);
    }
    if (job->done_) {
      job->cancel_parts();
      return;
    }
    // A stream's headers go with its first chunk, not now: a remote instance's "full" or
    // "unreachable" comes after submit() returns, and must still be a 429 or 503 status, which
    // clients' retry logic reads, rather than an error event inside a 200.
  }
  // A client that leaves cancels its requests: their blocks are free after the engine's step.
  // Registered outside the lock: if the client is already gone, the callback runs right here.
  std::weak_ptr<GenerationJob> weak = job;
  job->responder_.on_disconnect([weak] {
    if (auto j = weak.lock()) {
      std::lock_guard<std::recursive_mutex> lk(j->mu_);
      j->done_ = true;
      j->cancel_parts();
    }
  });
}

void GenerationJob::ensure_stream() {
  if (!stream_) stream_ = responder_.start_stream(200, http::kSseContentType, http::sse_headers());
}

// Also lets go of the routes: each handle's sink holds this job, so keeping them would make a
// cycle and keep every finished job (and its model) alive.
void GenerationJob::cancel_parts() {
  for (Part& p : parts_) {
    if (p.route) route_.router->cancel(p.route);
    p.route.reset();
  }
}

api::TokenLogprob GenerationJob::to_api(const TokenLogprob& t) const {
  api::TokenLogprob a;
  a.token = model_->tokenizer->token_bytes(t.token);
  a.logprob = t.logprob;
  for (const auto& [id, lp] : t.top) a.top.push_back({model_->tokenizer->token_bytes(id), lp});
  return a;
}

void GenerationJob::on_output(size_t part, RequestOutput&& out) {
  std::lock_guard<std::recursive_mutex> lk(mu_);
  if (done_) return;
  Part& p = parts_[part];
  p.num_cached_tokens = out.num_cached_tokens;
  if (!out.prompt_logprobs.empty()) {  // echo: the prompt's own logprobs (the first has none)
    for (size_t i = 0; i < out.prompt_logprobs.size(); ++i) {
      api::TokenLogprob a;
      if (i == 0) a.token = model_->tokenizer->token_bytes(p.first_prompt_token);  // not scored
      else a = to_api(out.prompt_logprobs[i]);
      p.echo_logprobs.push_back(std::move(a));
    }
  }
  if (out.finish_reason == FinishReason::kAbort || out.finish_reason == FinishReason::kError) {
    fail(error_of(out));
    return;
  }
  if (out.index < 0 || out.index >= n_) {  // an instance that does not speak our protocol
    fail(api::server_error("an instance answered for choice " + std::to_string(out.index) + " of " +
                           std::to_string(n_)));
    return;
  }
  Choice& c = choices_[part * size_t(n_) + size_t(out.index)];
  if (c.finished) return;  // cut at a stop string; the engine has not heard yet
  const auto now = Clock::now();
  if ((!out.tokens.empty() || !out.text.empty()) && metrics_) {
    if (!first_token_seen_) {
      first_token_seen_ = true;
      metrics_->time_to_first_token->observe(std::chrono::duration<double>(now - start_time_).count());
      metrics_->request_queue_time->observe(out.queue_seconds);
    } else if (c.last_token_time != Clock::time_point{}) {
      metrics_->inter_token_latency->observe(std::chrono::duration<double>(now - c.last_token_time).count());
    }
    c.last_token_time = now;
  }
  append_tokens(c, out);
  if (!c.finished && out.finish_reason != FinishReason::kNone) {
    append_text(c, c.detok.flush());
    if (!c.finished) finish_choice(c, api_reason(out.finish_reason));
  }
  if (options_.stream) stream_choice(part * size_t(n_) + size_t(out.index), c);
  if (num_finished_ == choices_.size()) complete();
}

void GenerationJob::append_tokens(Choice& c, const RequestOutput& out) {
  for (size_t i = 0; i < out.tokens.size() && !c.finished; ++i) {
    const TokenLogprob& t = out.tokens[i];
    ++c.num_tokens;
    if (out.stopped_on_token && i + 1 == out.tokens.size()) {  // EOS: counted, not shown
      append_text(c, c.detok.flush());
      if (!c.finished) finish_choice(c, api::FinishReason::kStop);
      return;
    }
    if (options_.logprobs) c.logprobs.push_back(to_api(t));
    append_text(c, c.detok.push(t.token));
  }
  if (!out.text.empty() && !c.finished) {  // an external engine's text: one output, one token
    ++c.num_tokens;
    append_text(c, out.text);
  }
}

// Appends generated text and ends the choice at the first stop string it completes.
void GenerationJob::append_text(Choice& c, const std::string& piece) {
  if (piece.empty() || c.finished) return;
  const size_t old_size = c.text.size();
  c.text += piece;
  if (options_.stop.empty()) return;
  // A stop string may straddle the old text and the piece: search from where it could begin.
  const size_t from = old_size >= max_stop_bytes_ ? old_size - max_stop_bytes_ + 1 : 0;
  size_t best = std::string::npos, best_len = 0;
  for (const auto& s : options_.stop) {
    const size_t at = c.text.find(s, from);
    if (at != std::string::npos && at < best) best = at, best_len = s.size();
  }
  if (best == std::string::npos) return;
  c.text.resize(options_.include_stop_str ? best + best_len : best);
  finish_choice(c, api::FinishReason::kStop);
}

void GenerationJob::finish_choice(Choice& c, api::FinishReason reason) {
  c.finished = true;
  c.finish_reason = reason;
  ++num_finished_;
}

// Sends what the choice has that the client has not seen. Text that could be the start of a
// stop string is held back until it is known not to be one.
void GenerationJob::stream_choice(size_t index, Choice& c) {
  size_t upto = c.text.size();
  if (!c.finished && max_stop_bytes_ > 0)
    upto = char_boundary_at_most(c.text, c.text.size() > max_stop_bytes_ - 1 ? c.text.size() - (max_stop_bytes_ - 1) : 0);
  std::string delta = upto > c.sent ? c.text.substr(c.sent, upto - c.sent) : std::string();
  std::vector<api::TokenLogprob> lps(c.logprobs.begin() + long(c.logprobs_sent), c.logprobs.end());
  const bool first = !c.started;
  if (delta.empty() && lps.empty() && !first && !c.finished) return;
  c.sent = std::max(c.sent, upto);
  c.logprobs_sent = c.logprobs.size();
  c.started = true;
  std::string body;
  if (options_.chat) {
    api::ChatCompletionChunk chunk{options_.id, options_.created, options_.model_name, {}, options_.include_usage, {}};
    api::ChatChunkChoice ch;
    ch.index = int32_t(index);
    ch.role = first;
    if (!delta.empty() || first) ch.content = delta;
    if (options_.logprobs) ch.logprobs = lps;
    if (c.finished) ch.finish_reason = c.finish_reason;
    chunk.choices.push_back(std::move(ch));
    if (options_.continuous_usage) chunk.usage = usage();
    body = api::chat_chunk_json(chunk);
  } else {
    api::TextCompletionChunk chunk{options_.id, options_.created, options_.model_name, {}, options_.include_usage, {}};
    api::CompletionChoice ch;
    ch.index = int32_t(index);
    const Part& p = parts_[index / size_t(n_)];
    if (first && options_.echo) {
      delta = p.echo_text + delta;
      if (options_.logprobs) lps.insert(lps.begin(), p.echo_logprobs.begin(), p.echo_logprobs.end());
    }
    ch.text = delta;
    if (options_.logprobs) ch.logprobs = lps;
    ch.text_offset = c.text_offset_sent;
    c.text_offset_sent += api::text_length(delta);
    if (c.finished) ch.finish_reason = c.finish_reason;
    chunk.choices.push_back(std::move(ch));
    if (options_.continuous_usage) chunk.usage = usage();
    body = api::text_completion_chunk_json(chunk);
  }
  ensure_stream();
  stream_->write(http::sse_event(body));
}

api::Usage GenerationJob::usage() const {
  api::Usage u;
  for (const Part& p : parts_) {
    u.prompt_tokens += p.num_prompt_tokens;
    u.cached_tokens += p.num_cached_tokens;
  }
  for (const Choice& c : choices_) u.completion_tokens += c.num_tokens;
  return u;
}

std::string GenerationJob::json_response() const {
  if (options_.chat) {
    api::ChatCompletion r{options_.id, options_.created, options_.model_name, {}, usage()};
    for (size_t i = 0; i < choices_.size(); ++i) {
      api::ChatChoice ch;
      ch.index = int32_t(i);
      ch.content = choices_[i].text;
      if (options_.logprobs) ch.logprobs = choices_[i].logprobs;
      ch.finish_reason = choices_[i].finish_reason;
      r.choices.push_back(std::move(ch));
    }
    return api::chat_completion_json(r);
  }
  api::TextCompletion r{options_.id, options_.created, options_.model_name, {}, usage()};
  for (size_t i = 0; i < choices_.size(); ++i) {
    const Part& p = parts_[i / size_t(n_)];
    api::CompletionChoice ch;
    ch.index = int32_t(i);
    ch.text = options_.echo ? p.echo_text + choices_[i].text : choices_[i].text;
    if (options_.logprobs) {
      std::vector<api::TokenLogprob> lps;
      if (options_.echo) lps = p.echo_logprobs;
      lps.insert(lps.end(), choices_[i].logprobs.begin(), choices_[i].logprobs.end());
      ch.logprobs = std::move(lps);
    }
    ch.finish_reason = choices_[i].finish_reason;
    r.choices.push_back(std::move(ch));
  }
  return api::text_completion_json(r);
}

void GenerationJob::complete() {
  done_ = true;
  cancel_parts();  // choices cut at stop strings may still run in the engine
  report_outcome(true);
  if (metrics_) {
    metrics_->e2e_request_latency->observe(std::chrono::duration<double>(Clock::now() - start_time_).count());
    metrics_->request_success->inc();
  }
  if (!options_.stream) {
    http::Response r;
    r.body = json_response();
    responder_.respond(std::move(r));
    return;
  }
  ensure_stream();
  if (options_.include_usage) {
    std::string body;
    if (options_.chat) {
      body = api::chat_chunk_json({options_.id, options_.created, options_.model_name, {}, true, usage()});
    } else {
      body = api::text_completion_chunk_json({options_.id, options_.created, options_.model_name, {}, true, usage()});
    }
    stream_->write(http::sse_event(body));
  }
  stream_->write(http::sse_event("[DONE]"));
  stream_->finish();
}

void GenerationJob::fail(const api::ApiError& e) {
  done_ = true;
  cancel_parts();
  if (e.status >= 500) report_outcome(false);  // the client's own mistakes say nothing of the version
  if (!stream_) {  // not streaming, or the stream has not started: a plain error answer
    responder_.respond(error_response(e));
    return;
  }
  stream_->write(http::sse_event(api::error_json(e)));
  stream_->write(http::sse_event("[DONE]"));
  stream_->finish();
}

void GenerationJob::report_outcome(bool ok) {
  if (outcome_reported_ || !route_.on_outcome) return;
  outcome_reported_ = true;
  route_.on_outcome(ok, std::chrono::duration<double>(Clock::now() - start_time_).count());
}

}  // namespace turbine
