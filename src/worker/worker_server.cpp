#include "worker/worker_server.h"

#include <nlohmann/json.hpp>

namespace turbine {

namespace {

http::Response json_error(int status, const std::string& message) {
  return {status, "application/json", nlohmann::json{{"error", {{"message", message}}}}.dump()};
}

int http_status(ErrorCode code) {
  switch (code) {
    case ErrorCode::kInvalidArgument: return 400;
    case ErrorCode::kResourceExhausted: return 429;
    case ErrorCode::kUnavailable: return 503;
    case ErrorCode::kDeadlineExceeded: return 504;
    default: return 500;
  }
}

// One generate request's answer: outputs are written as they come; the stream ends when every
// choice has finished or one ended the request (abort, error).
struct GenerateStream {
  std::mutex mu;  // also held while the request starts, so outputs wait for the stream
  http::Responder responder;
  std::shared_ptr<http::ResponseStream> stream;
  int32_t num_choices = 1;
  int32_t num_finished = 0;
  bool done = false;

  void on_output(RequestOutput&& out) {
    std::lock_guard<std::mutex> lk(mu);
    if (done || !stream) return;
    stream->write(encode_output_line(out));
    if (out.finish_reason == FinishReason::kAbort || out.finish_reason == FinishReason::kError) done = true;
    else if (out.finish_reason != FinishReason::kNone && ++num_finished == num_choices) done = true;
    if (done) stream->finish();
  }
};

}  // namespace

WorkerServer::WorkerServer(WorkerClient& client, WorkerInfo info, std::function<WorkerLoad()> load,
                           WorkerServerOptions options)
    : client_(client), info_(std::move(info)), load_(std::move(load)), options_(options), server_(options.http) {
  server_.route("POST", "/worker/generate", [this](http::Request q, http::Responder r) { handle_generate(std::move(q), std::move(r)); });
  server_.route("POST", "/worker/cancel", [this](http::Request q, http::Responder r) { handle_cancel(std::move(q), std::move(r)); });
  server_.route("GET", "/worker/events", [this](http::Request q, http::Responder r) { handle_events(std::move(q), std::move(r)); });
  server_.route("GET", "/worker/load", [this](http::Request, http::Responder r) {
    r.respond({200, "application/json", encode_load(load_())});
  });
  server_.route("GET", "/worker/info", [this](http::Request, http::Responder r) {
    r.respond({200, "application/json", encode_worker_info(info_)});
  });
  server_.route("GET", "/health", [](http::Request, http::Responder r) { r.respond({200, "", ""}); });
}

WorkerServer::~WorkerServer() { stop(); }

Status WorkerServer::start(const std::string& host, uint16_t port) {
  const std::string& advertised = options_.advertise_host.empty() ? host : options_.advertise_host;
  if (advertised == "0.0.0.0" || advertised == "::" || advertised.empty())
    return invalid_argument("listening on all interfaces (" + host +
                            "): give --advertise-host, the address frontends reach this worker at");
  TB_RETURN_IF_ERROR(server_.start(host, port));
  const std::string authority = (advertised.find(':') != std::string::npos ? "[" + advertised + "]" : advertised) +
                                ":" + std::to_string(server_.port());
  info_.address = "http://" + authority;
  if (info_.id.empty()) info_.id = authority;
  load_thread_ = std::thread([this] { load_loop(); });
  return Status();
}

void WorkerServer::stop() {
  {
    std::lock_guard<std::mutex> lk(mu_);
    if (stopping_) return;
    stopping_ = true;
    for (auto& s : subscribers_) s->finish();
    subscribers_.clear();
  }
  stop_cv_.notify_all();
  if (load_thread_.joinable()) load_thread_.join();
  server_.stop();
}

void WorkerServer::handle_generate(http::Request request, http::Responder responder) {
  auto req = decode_worker_request(request.body);
  if (!req) return responder.respond(json_error(400, req.status().message()));
  auto st = std::make_shared<GenerateStream>();
  st->num_choices = req->params.n;
  uint64_t id = 0;
  {
    std::lock_guard<std::mutex> lk(st->mu);
    auto started = client_.generate(std::move(*req), [st](RequestOutput&& out) { st->on_output(std::move(out)); });
    if (!started) {
      st->done = true;
      return responder.respond(json_error(http_status(started.status().code()), started.status().message()));
    }
    id = *started;
    st->stream = responder.start_stream(200, kNdjsonContentType, {{"x-request-id", std::to_string(id)}});
    st->responder = std::move(responder);
  }
  // A frontend that leaves (its client left, or it cancelled by closing) frees the engine's work.
  std::weak_ptr<GenerateStream> weak = st;
  st->responder.on_disconnect([this, weak, id] {
    auto s = weak.lock();
    if (!s) return;
    {
      std::lock_guard<std::mutex> lk(s->mu);
      if (s->done) return;
      s->done = true;
    }
    client_.cancel(id);
  });
}

void WorkerServer::handle_cancel(http::Request request, http::Responder responder) {
  auto j = nlohmann::json::parse(request.body, nullptr, false);
  if (j.is_discarded() || !j.is_object() || !j.contains("id") || !j["id"].is_number_unsigned())
    return responder.respond(json_error(400, "cancel: expected {\"id\": <request id>}"));
  client_.cancel(j["id"].get<uint64_t>());
  responder.respond({200, "application/json", "{}"});
}

void WorkerServer::handle_events(http::Request, http::Responder responder) {
  auto stream = responder.start_stream(200, kNdjsonContentType);
  std::lock_guard<std::mutex> lk(mu_);
  if (stopping_) return stream->finish();
  WorkerEvent reset;
  stream->write(encode_event_line(reset));
  WorkerEvent all;
  all.kind = WorkerEvent::Kind::kStored;
  all.hashes.assign(cached_blocks_.begin(), cached_blocks_.end());
  if (!all.hashes.empty()) stream->write(encode_event_line(all));
  WorkerEvent load;
  load.kind = WorkerEvent::Kind::kLoad;
  load.load = load_();
  stream->write(encode_event_line(load));
  subscribers_.push_back(std::move(stream));
}

void WorkerServer::publish_kv_events(const std::vector<KvEvent>& events) {
  std::lock_guard<std::mutex> lk(mu_);
  for (const KvEvent& e : events) {
    if (e.kind == KvEvent::Kind::kStored) cached_blocks_.insert(e.hash);
    else cached_blocks_.erase(e.hash);
  }
  if (subscribers_.empty()) return;  // no frontend listens: the mirror is enough
  const std::string lines = encode_kv_event_lines(events);
  for (auto& s : subscribers_) s->write(lines);
}

void WorkerServer::load_loop() {
  std::unique_lock<std::mutex> lk(mu_);
  while (!stopping_) {
    stop_cv_.wait_for(lk, options_.load_interval);
    if (stopping_) break;
    WorkerEvent e;
    e.kind = WorkerEvent::Kind::kLoad;
    e.load = load_();
    const std::string line = encode_event_line(e);
    std::erase_if(subscribers_, [&](const std::shared_ptr<http::ResponseStream>& s) { return !s->write(line); });
  }
}

}  // namespace turbine
