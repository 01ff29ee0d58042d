#include "tests/loadgen/scripted_server.h"

#include "http/sse.h"

namespace turbine::loadgen::testing {

using nlohmann::json;

struct ScriptedServer::Stream {
  std::shared_ptr<http::ResponseStream> out;
  bool chat = true;
  std::string model;
  int64_t id = 0;
  int64_t num_tokens = 0;     // to send in all
  int64_t num_sent = 0;
  int64_t cut_after = -1;     // stop here without [DONE]; -1: never
  bool usage = false;
};

ScriptedServer::ScriptedServer(StubScript script, int http_threads)
    : script_(script), server_(http::ServerOptions{.num_threads = http_threads}) {
  server_.route("POST", "/v1/chat/completions",
                [this](http::Request request, http::Responder responder) { handle(request, std::move(responder), true); });
  server_.route("POST", "/v1/completions",
                [this](http::Request request, http::Responder responder) { handle(request, std::move(responder), false); });
  server_.route("GET", "/v1/models", [](http::Request, http::Responder responder) {
    responder.respond({.body = R"({"object":"list","data":[{"id":"stub","object":"model"}]})"});
  });
}

ScriptedServer::~ScriptedServer() { stop(); }

Status ScriptedServer::start(const std::string& host, uint16_t port) {
  TB_RETURN_IF_ERROR(server_.start(host, port));
  pacer_ = std::thread([this] { pace(); });
  return Status::ok();
}

void ScriptedServer::stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (pacer_.joinable()) pacer_.join();
  server_.stop();
}

std::string ScriptedServer::base_url() const { return "http://127.0.0.1:" + std::to_string(port()); }

std::vector<json> ScriptedServer::bodies() const {
  std::lock_guard lock(mu_);
  return bodies_;
}

int64_t ScriptedServer::num_requests() const {
  std::lock_guard lock(mu_);
  return int64_t(bodies_.size());
}

void ScriptedServer::handle(const http::Request& request, http::Responder responder, bool chat) {
  const auto arrived = Clock::now();
  json body = json::parse(request.body, nullptr, false);
  int64_t n = 0;
  {
    std::lock_guard lock(mu_);
    bodies_.push_back(body);
    n = int64_t(bodies_.size());
  }
  if (script_.fail_every > 0 && n % script_.fail_every == 0) {
    responder.respond({.status = 429,
                       .body = R"({"error":{"message":"scripted overload","type":"rate_limit_error","code":429}})",
                       .headers = {{"retry-after", "1"}}});
    return;
  }
  auto stream = std::make_shared<Stream>();
  stream->chat = chat;
  stream->id = n;
  stream->model = body.is_object() ? body.value("model", std::string("stub")) : "stub";
  stream->num_tokens = body.is_object() && body.contains("max_tokens") && body["max_tokens"].is_number_integer()
                           ? body["max_tokens"].get<int64_t>()
                           : script_.default_tokens;
  stream->usage = script_.send_usage && body.is_object() && body.contains("stream_options") &&
                  body["stream_options"].value("include_usage", false);
  if (script_.cut_every > 0 && n % script_.cut_every == 0) stream->cut_after = stream->num_tokens / 2;
  stream->out = responder.start_stream(200, http::kSseContentType, http::sse_headers());
  if (chat) {  // the role arrives at once and carries no token: TTFT must not count it
    stream->out->write(http::sse_event(json{{"object", "chat.completion.chunk"},
                                            {"choices", {{{"index", 0}, {"delta", {{"role", "assistant"}, {"content", ""}}}}}}}
                                           .dump()));
  }
  {
    std::lock_guard lock(mu_);
    due_.push({arrived + script_.ttft, std::move(stream)});
  }
  cv_.notify_all();
}

bool ScriptedServer::write_next(Stream& s) {
  if (s.num_sent == s.cut_after) {
    s.out->finish();  // a clean end of the body, but no [DONE]
    return false;
  }
  if (s.num_sent < s.num_tokens) {
    std::string text;
    const int64_t k = std::min(script_.tokens_per_event, s.num_tokens - s.num_sent);
    for (int64_t i = 0; i < k; ++i) text += " t" + std::to_string(s.num_sent + i);
    s.num_sent += k;
    json chunk = s.chat ? json{{"object", "chat.completion.chunk"}, {"model", s.model},
                               {"choices", {{{"index", 0}, {"delta", {{"content", text}}}, {"finish_reason", nullptr}}}}}
                        : json{{"object", "text_completion"}, {"model", s.model},
                               {"choices", {{{"index", 0}, {"text", text}, {"finish_reason", nullptr}}}}};
    s.out->write(http::sse_event(chunk.dump()));
    return true;
  }
  std::string tail;
  json last = s.chat ? json{{"choices", {{{"index", 0}, {"delta", json::object()}, {"finish_reason", "length"}}}}}
                     : json{{"choices", {{{"index", 0}, {"text", ""}, {"finish_reason", "length"}}}}};
  tail += http::sse_event(last.dump());
  if (s.usage) {
    tail += http::sse_event(json{{"choices", json::array()},
                                 {"usage", {{"prompt_tokens", script_.prompt_tokens},
                                            {"completion_tokens", s.num_tokens},
                                            {"total_tokens", script_.prompt_tokens + s.num_tokens}}}}
                                .dump());
  }
  tail += http::sse_event("[DONE]");
  s.out->write(std::move(tail));
  s.out->finish();
  return false;
}

void ScriptedServer::pace() {
  std::unique_lock lock(mu_);
  while (!stopping_) {
    if (due_.empty()) {
      cv_.wait(lock);
      continue;
    }
    const auto when = due_.top().when;
    if (Clock::now() < when) {
      cv_.wait_until(lock, when);
      continue;
    }
    std::shared_ptr<Stream> stream = due_.top().stream;
    due_.pop();
    lock.unlock();
    const bool more = write_next(*stream);
    // The next gap counts from this write, not from the plan: a late write never makes the
    // following gap shorter than the script says.
    const auto next = Clock::now() + script_.itl;
    lock.lock();
    if (more) due_.push({next, std::move(stream)});
  }
}

}  // namespace turbine::loadgen::testing
