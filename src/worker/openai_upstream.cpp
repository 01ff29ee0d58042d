#include "worker/openai_upstream.h"

#include <unordered_map>

#include <nlohmann/json.hpp>

#include "http/sse.h"
#include "worker/stream_end.h"

namespace turbine {

using nlohmann::json;

Result<std::string> upstream_completion_body(const WorkerRequest& r, const std::string& model) {
  const GenerationParams& p = r.params;
  if (p.n != 1) return invalid_argument("an external engine takes n = 1 only");
  if (p.logprobs >= 0 || p.prompt_logprobs) return invalid_argument("an external engine does not return logprobs");
  const SamplingParams& s = p.sampling;
  json body{{"model", model},       {"prompt", r.prompt},         {"max_tokens", p.max_tokens},
            {"temperature", s.temperature}, {"top_p", s.top_p},   {"stream", true},
            {"stream_options", {{"include_usage", true}}}};
  // Extensions (vLLM, llama.cpp, turbine) only when they change something, so a strict server
  // is not handed fields it refuses.
  if (s.seed) body["seed"] = *s.seed;
  if (s.top_k > 0) body["top_k"] = s.top_k;
  if (s.min_p > 0) body["min_p"] = s.min_p;
  if (s.repetition_penalty != 1.0f) body["repetition_penalty"] = s.repetition_penalty;
  if (s.presence_penalty != 0.0f) body["presence_penalty"] = s.presence_penalty;
  if (s.frequency_penalty != 0.0f) body["frequency_penalty"] = s.frequency_penalty;
  if (p.min_tokens > 0) body["min_tokens"] = p.min_tokens;
  if (p.ignore_eos) body["ignore_eos"] = true;
  if (!p.stop_token_ids.empty()) body["stop_token_ids"] = p.stop_token_ids;
  return body.dump();
}


// Client-thread state, except the atomics.
struct OpenAiUpstream::State : std::enable_shared_from_this<State> {
  struct Pending {
    OutputSink sink;
    int status = 0;
    std::string error_body;
    http::SseParser sse;
    bool started = false;
    bool ended = false;
    bool cancelled = false;
    int64_t num_prompt_tokens = 0;
  };
  OpenAiUpstreamOptions options;
  http::ClientThread* thread = nullptr;
  std::atomic<bool> closed{false};
  std::atomic<uint64_t> next_id{1};
  std::atomic<int64_t> num_in_flight{0};
  std::unordered_map<uint64_t, Pending> pending;

  // One event's data: text, a finish reason, an error, or the end.
  void on_event(Pending& p, const std::string& data) {
    if (p.ended) return;
    if (data == "[DONE]") {
      RequestOutput out;
      out.finish_reason = FinishReason::kStop;
      out.num_prompt_tokens = p.num_prompt_tokens;
      p.ended = true;
      return p.sink(std::move(out));
    }
    json j = json::parse(data, nullptr, false);
    if (!j.is_object()) {
      p.ended = true;
      return p.sink(failure_output(ErrorCode::kInternal, "upstream " + options.base_url + ": an event is not JSON", p.started));
    }
    if (j.contains("error")) {
      p.ended = true;
      return p.sink(failure_output(ErrorCode::kInternal, "upstream " + options.base_url + ": " + error_body_message(data), p.started));
    }
    if (j.contains("usage") && j["usage"].is_object() && j["usage"].contains("prompt_tokens"))
      p.num_prompt_tokens = j["usage"].value("prompt_tokens", int64_t(0));
    if (!j.contains("choices") || !j["choices"].is_array() || j["choices"].empty()) return;
    const json& c = j["choices"][0];
    RequestOutput out;
    out.num_prompt_tokens = p.num_prompt_tokens;
    if (c.contains("text") && c["text"].is_string()) out.text = c["text"].get<std::string>();
    if (c.contains("finish_reason") && c["finish_reason"].is_string()) {
      out.finish_reason = c["finish_reason"] == "length" ? FinishReason::kLength : FinishReason::kStop;
      p.ended = true;
    }
    if (out.text.empty() && out.finish_reason == FinishReason::kNone) return;
    p.started = true;
    p.sink(std::move(out));
  }

  void start(uint64_t id, std::string body, OutputSink sink) {
    Pending& p = pending[id];
    p.sink = std::move(sink);
    ++num_in_flight;
    http::ClientRequest r;
    r.method = "POST";
    r.url = options.base_url + "/v1/completions";
    r.headers = {{"content-type", "application/json"}, {"accept", "text/event-stream"}};
    if (!options.api_key.empty()) r.headers.emplace_back("authorization", "Bearer " + options.api_key);
    r.body = std::move(body);
    r.timeout = options.timeout;
    auto self = shared_from_this();
    http::AsyncHandlers h;
    h.on_head = [self, id](int status, const http::Headers&) { self->pending[id].status = status; };
    h.on_body = [self, id](std::string_view piece) {
      Pending& p = self->pending[id];
      if (self->closed || p.cancelled) return false;
      if (p.ended) return true;  // read to the end: the connection stays reusable
      if (p.status != 200) {
        append_error_body(&p.error_body, piece);
        return true;
      }
      for (auto& e : p.sse.feed(piece)) self->on_event(p, e.data);
      return true;
    };
    h.on_done = [self, id](Status s) { self->finish(id, std::move(s)); };
    thread->client().start(std::move(r), std::move(h));
  }

  void finish(uint64_t id, Status s) {
    auto it = pending.find(id);
    if (it == pending.end()) return;
    Pending p = std::move(it->second);
    pending.erase(it);
    --num_in_flight;
    if (p.ended) return;
    p.sink(stream_end_output({p.cancelled || closed, p.started, p.status, p.error_body, {}}, s,
                             "upstream " + options.base_url + ": "));
  }
};

OpenAiUpstream::OpenAiUpstream(OpenAiUpstreamOptions options, std::shared_ptr<http::ClientThread> thread)
    : options_(std::move(options)), thread_(std::move(thread)), state_(std::make_shared<State>()) {
  while (!options_.base_url.empty() && options_.base_url.back() == '/') options_.base_url.pop_back();
  if (options_.base_url.ends_with("/v1")) options_.base_url.resize(options_.base_url.size() - 3);
  state_->options = options_;
  state_->thread = thread_.get();
}

OpenAiUpstream::~OpenAiUpstream() {
  state_->closed = true;
  thread_->post([st = state_] {
    for (auto& [id, p] : st->pending) {
      if (p.ended) continue;
      p.ended = true;
      RequestOutput out;
      out.finish_reason = FinishReason::kAbort;
      out.error = "the upstream client was closed";
      p.sink(std::move(out));
    }
  });
}

Result<uint64_t> OpenAiUpstream::generate(WorkerRequest request, OutputSink sink) {
  TB_ASSIGN_OR_RETURN(std::string body, upstream_completion_body(request, options_.model));
  const uint64_t id = state_->next_id.fetch_add(1);
  thread_->post([st = state_, id, body = std::move(body), sink = std::move(sink)]() mutable {
    st->start(id, std::move(body), std::move(sink));
  });
  return id;
}

// The OpenAI API has no cancel: the stream is closed on its next event, which upstream servers
// take as the client leaving.
void OpenAiUpstream::cancel(uint64_t id) {
  thread_->post([st = state_, id] {
    auto it = st->pending.find(id);
    if (it != st->pending.end()) it->second.cancelled = true;
  });
}

int64_t OpenAiUpstream::num_in_flight() const { return state_->num_in_flight.load(); }

}  // namespace turbine
