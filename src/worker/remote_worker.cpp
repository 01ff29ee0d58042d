#include "worker/remote_worker.h"

#include <atomic>
#include <future>
#include <unordered_map>

#include "worker/stream_end.h"

namespace turbine {

// Everything below runs on the client thread, except `closed` and `next_id`.
struct RemoteWorker::State : std::enable_shared_from_this<State> {
  struct Pending {
    OutputSink sink;
    int32_t num_choices = 1;
    int32_t num_finished = 0;
    int status = 0;
    std::string worker_request_id;  // x-request-id, for /worker/cancel
    std::string error_body;         // status != 200
    LineSplitter lines;
    bool started = false;           // an output reached the sink
    bool ended = false;             // the last output reached the sink
    bool cancelled = false;
    std::string malformed;          // a line that did not decode
  };

  std::string address;
  RemoteWorkerOptions options;
  http::ClientThread* thread = nullptr;
  std::atomic<bool> closed{false};
  std::atomic<uint64_t> next_id{1};
  std::unordered_map<uint64_t, Pending> pending;
  std::function<void(const WorkerEvent&)> on_event;
  std::function<void(const Status&)> on_lost;
  bool events_stopped = false;

  void deliver(Pending& p, RequestOutput&& out) {
    if (p.ended) return;
    if (out.finish_reason == FinishReason::kAbort || out.finish_reason == FinishReason::kError) p.ended = true;
    else if (out.finish_reason != FinishReason::kNone && ++p.num_finished == p.num_choices) p.ended = true;
    p.started = true;
    p.sink(std::move(out));
  }

  http::ClientRequest post_json(const char* path, std::string body, std::chrono::milliseconds timeout) const {
    http::ClientRequest r;
    r.method = "POST";
    r.url = address + path;
    r.headers = {{"content-type", "application/json"}};
    r.body = std::move(body);
    r.timeout = timeout;
    return r;
  }

  void send_cancel(const std::string& worker_request_id) {
    // Best effort: closing the stream cancels too.
    thread->client().start(
        post_json("/worker/cancel", "{\"id\":" + worker_request_id + "}", std::chrono::milliseconds(5'000)), {});
  }

  void start(uint64_t id, std::string body, OutputSink sink, int32_t num_choices) {
    Pending& p = pending[id];
    p.sink = std::move(sink);
    p.num_choices = num_choices;
    http::ClientRequest r = post_json("/worker/generate", std::move(body), options.request_timeout);
    auto self = shared_from_this();
    http::AsyncHandlers h;
    h.on_head = [self, id](int status, const http::Headers& headers) {
      Pending& p = self->pending[id];
      p.status = status;
      if (auto rid = http::find_header(headers, "x-request-id")) p.worker_request_id = std::string(*rid);
      if (p.cancelled && !p.worker_request_id.empty()) self->send_cancel(p.worker_request_id);
    };
    h.on_body = [self, id](std::string_view piece) {
      Pending& p = self->pending[id];
      if (self->closed || p.ended) return false;
      if (p.status != 200) {
        append_error_body(&p.error_body, piece);
        return true;
      }
      const bool fits = p.lines.feed(piece, [&](std::string_view line) {
        if (line.empty() || !p.malformed.empty() || p.ended) return;
        auto out = decode_output_line(line);
        if (!out) p.malformed = out.status().message();
        else self->deliver(p, std::move(*out));
      });
      if (!fits) p.malformed = "an output line longer than the limit";
      return p.malformed.empty() && !p.ended;
    };
    h.on_done = [self, id](Status s) { self->finish(id, std::move(s)); };
    thread->client().start(std::move(r), std::move(h));
  }

  void finish(uint64_t id, Status s) {
    auto it = pending.find(id);
    if (it == pending.end()) return;
    Pending p = std::move(it->second);
    pending.erase(it);
    if (p.ended) return;
    p.sink(stream_end_output({p.cancelled || closed, p.started, p.status, p.error_body, p.malformed}, s,
                             "worker " + address + ": "));
  }

  void cancel(uint64_t id) {
    auto it = pending.find(id);
    if (it == pending.end() || it->second.cancelled) return;
    it->second.cancelled = true;
    if (!it->second.worker_request_id.empty()) send_cancel(it->second.worker_request_id);
  }

  void subscribe() {
    if (closed || events_stopped) return;
    http::ClientRequest r;
    r.url = address + "/worker/events";
    r.timeout = options.events_timeout;
    auto self = shared_from_this();
    auto lines = std::make_shared<LineSplitter>(size_t(256) << 20);
    auto status = std::make_shared<int>(0);
    auto bad = std::make_shared<std::string>();
    http::AsyncHandlers h;
    h.on_head = [status](int code, const http::Headers&) { *status = code; };
    h.on_body = [self, lines, status, bad](std::string_view piece) {
      if (self->closed || self->events_stopped) return false;
      if (*status != 200) return true;
      const bool fits = lines->feed(piece, [&](std::string_view line) {
        if (line.empty() || !bad->empty()) return;
        auto e = decode_event_line(line);
        if (!e) *bad = e.status().message();
        else if (self->on_event) self->on_event(*e);
      });
      if (!fits) *bad = "an event line longer than the limit";
      return bad->empty();
    };
    h.on_done = [self, status, bad](Status s) {
      if (self->closed || self->events_stopped) return;
      if (s.is_ok())
        s = unavailable("worker " + self->address + ": " +
                        (!bad->empty() ? "malformed event: " + *bad
                         : *status != 200 ? "event stream answered HTTP " + std::to_string(*status)
                                          : std::string("event stream ended")));
      if (self->on_lost) self->on_lost(s);
      self->thread->client().post_at(std::chrono::steady_clock::now() + self->options.events_retry,
                                     [self] { self->subscribe(); });
    };
    thread->client().start(std::move(r), std::move(h));
  }

  void close_all() {
    for (auto& [id, p] : pending) {
      if (p.ended) continue;
      p.ended = true;
      RequestOutput out;
      out.finish_reason = FinishReason::kAbort;
      out.error = "the connection to the worker was closed";
      p.sink(std::move(out));
    }
  }
};

RemoteWorker::RemoteWorker(std::string address, std::shared_ptr<http::ClientThread> thread, RemoteWorkerOptions options)
    : address_(std::move(address)), thread_(std::move(thread)), state_(std::make_shared<State>()) {
  state_->address = address_;
  state_->options = options;
  state_->thread = thread_.get();
}

RemoteWorker::~RemoteWorker() {
  state_->closed = true;
  thread_->post([st = state_] { st->close_all(); });
}

Result<uint64_t> RemoteWorker::generate(WorkerRequest request, OutputSink sink) {
  if (state_->closed) return unavailable("worker " + address_ + " is closed");
  const uint64_t id = state_->next_id.fetch_add(1);
  const int32_t n = request.params.n;
  thread_->post([st = state_, id, body = encode_worker_request(request), sink = std::move(sink), n]() mutable {
    st->start(id, std::move(body), std::move(sink), n);
  });
  return id;
}

void RemoteWorker::cancel(uint64_t id) {
  thread_->post([st = state_, id] { st->cancel(id); });
}

void RemoteWorker::stop_events() {
  std::promise<void> done;
  thread_->post([st = state_, &done] {
    st->events_stopped = true;
    st->on_event = nullptr;
    st->on_lost = nullptr;
    done.set_value();
  });
  done.get_future().wait();
}

void RemoteWorker::watch_events(std::function<void(const WorkerEvent&)> on_event,
                                std::function<void(const Status&)> on_lost) {
  thread_->post([st = state_, on_event = std::move(on_event), on_lost = std::move(on_lost)]() mutable {
    st->on_event = std::move(on_event);
    st->on_lost = std::move(on_lost);
    st->subscribe();
  });
}

}  // namespace turbine
