#include "control/etcd_watch.h"

#include <algorithm>
#include <optional>
#include <utility>

namespace turbine::control {

using nlohmann::json;

EtcdWatch::EtcdWatch(EtcdGateway gateway, EtcdWatchOptions options, std::string prefix,
                     WatchHandlers handlers, std::vector<KeyValue> snapshot, int64_t revision)
    : gateway_(std::move(gateway)),
      options_(options),
      prefix_(std::move(prefix)),
      handlers_(std::move(handlers)),
      client_(http::AsyncClient::Options{.max_idle_per_host = 0}) {
  thread_ = std::thread([this, snapshot = std::move(snapshot), revision]() mutable {
    run(std::move(snapshot), revision);
  });
}

EtcdWatch::~EtcdWatch() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  // Runs on the watch thread within its current (or next) run(), which then returns.
  client_.post([this] { client_.stop(); });
  thread_.join();
}

bool EtcdWatch::sleep_for(std::chrono::milliseconds duration) {
  std::unique_lock lock(mu_);
  return !wake_.wait_for(lock, duration, [&] { return stopping_.load(); });
}

Result<http::ClientResponse> EtcdWatch::exchange(http::ClientRequest request,
                                                 const std::function<bool(std::string_view)>& on_body) {
  http::ClientResponse response;
  std::optional<Status> done;
  client_.start(std::move(request),
                {.on_head = [&](int status, const http::Headers&) { response.status = status; },
                 .on_body =
                     [&](std::string_view piece) {
                       if (stopping_) return false;
                       if (on_body) return on_body(piece);
                       response.body.append(piece);
                       return true;
                     },
                 .on_done = [&](Status status) { done = std::move(status); }});
  client_.run();
  // Stopped: the request is still in flight and goes with client_, its callbacks never run.
  if (!done) return unavailable(gateway_.url() + ": watch stopped");
  if (!done->is_ok()) return *done;
  return response;
}

void EtcdWatch::deliver_snapshot(std::vector<KeyValue> snapshot, int64_t revision) {
  next_revision_ = revision + 1;
  if (!stopping_ && handlers_.on_snapshot) handlers_.on_snapshot(std::move(snapshot));
}

bool EtcdWatch::resnapshot() {
  const std::string path = "/v3/kv/range";
  Result<json> answer = gateway_.decode(
      path, exchange(gateway_.request(path, EtcdGateway::prefix_range(prefix_), options_.call_timeout), {}));
  if (!answer.is_ok() || stopping_) return false;
  deliver_snapshot(EtcdGateway::parse_kvs(*answer), EtcdGateway::header_revision(*answer));
  return true;
}

bool EtcdWatch::handle_line(std::string_view line, StreamEnd& end, bool& created) {
  json message = json::parse(line, nullptr, /*allow_exceptions=*/false);
  auto result = message.is_object() ? message.find("result") : message.end();
  if (result == message.end() || !result->is_object()) {
    end = StreamEnd::kBroken;  // {"error": ...} or garbage
    return false;
  }
  if (result->value("canceled", false) || EtcdGateway::int64_field(*result, "compact_revision") > 0) {
    end = StreamEnd::kCompacted;
    return false;
  }
  if (result->value("created", false)) created = true;
  auto events = result->find("events");
  if (events == result->end() || !events->is_array()) return true;
  for (const json& event : *events) {
    WatchEvent out;
    out.type = event.value("type", "") == "DELETE" ? WatchEvent::Type::kDelete : WatchEvent::Type::kPut;
    auto kv = event.find("kv");
    if (kv != event.end() && kv->is_object()) out.kv = EtcdGateway::parse_kv(*kv);
    next_revision_ = std::max(next_revision_, out.kv.mod_revision + 1);
    if (stopping_) return false;
    if (handlers_.on_event) handlers_.on_event(out);
  }
  return true;
}

EtcdWatch::StreamEnd EtcdWatch::follow_stream() {
  json create = EtcdGateway::prefix_range(prefix_);
  create["start_revision"] = std::to_string(next_revision_);
  std::string buffer;
  bool& created = stream_created_;
  created = false;
  std::optional<StreamEnd> end;
  auto on_body = [&](std::string_view piece) {
    buffer.append(piece);
    size_t start = 0;
    for (size_t newline; (newline = buffer.find('\n', start)) != std::string::npos; start = newline + 1) {
      StreamEnd line_end = StreamEnd::kBroken;
      if (!handle_line(std::string_view(buffer).substr(start, newline - start), line_end, created)) {
        end = line_end;
        return false;
      }
    }
    buffer.erase(0, start);
    return true;
  };
  Result<http::ClientResponse> response = exchange(
      gateway_.request("/v3/watch", json{{"create_request", create}}, options_.idle_timeout), on_body);
  if (stopping_) return StreamEnd::kStopped;
  if (end) return *end;
  if (!response.is_ok() && response.status().code() == ErrorCode::kDeadlineExceeded && created) {
    return StreamEnd::kIdle;
  }
  return StreamEnd::kBroken;  // refused, broken, an HTTP error, or the stream simply ended
}

void EtcdWatch::run(std::vector<KeyValue> snapshot, int64_t revision) {
  deliver_snapshot(std::move(snapshot), revision);
  std::chrono::milliseconds backoff = options_.min_backoff;
  while (!stopping_) {
    const StreamEnd end = follow_stream();
    if (end == StreamEnd::kStopped) return;
    if (stream_created_) backoff = options_.min_backoff;  // it worked for a while
    if (end == StreamEnd::kIdle) continue;
    // Re-establish from a fresh snapshot, waiting longer after each failed try.
    do {
      if (!sleep_for(backoff)) return;
      backoff = std::min(backoff * 2, options_.max_backoff);
    } while (!resnapshot() && !stopping_);
  }
}

}  // namespace turbine::control
