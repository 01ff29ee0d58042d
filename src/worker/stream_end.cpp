#include "worker/stream_end.h"

#include <nlohmann/json.hpp>

namespace turbine {

RequestOutput failure_output(ErrorCode code, std::string message, bool started) {
  RequestOutput out;
  out.finish_reason = FinishReason::kError;
  out.error_code = code;
  out.error = std::move(message);
  out.started = started;
  return out;
}

RequestOutput stream_end_output(const StreamEnd& end, const Status& transport, const std::string& who) {
  if (end.cancelled) {
    RequestOutput out;
    out.finish_reason = FinishReason::kAbort;
    out.error = "cancelled";
    return out;
  }
  if (!end.malformed.empty()) return failure_output(ErrorCode::kInternal, who + "malformed answer: " + end.malformed, end.started);
  if (!transport.is_ok()) {
    const ErrorCode code =
        transport.code() == ErrorCode::kDeadlineExceeded ? ErrorCode::kDeadlineExceeded : ErrorCode::kUnavailable;
    return failure_output(code, who + (end.started ? "lost mid-stream: " : "") + transport.message(), end.started);
  }
  if (end.http_status != 200 && end.http_status != 0)
    return failure_output(error_code_of_http_status(end.http_status), who + error_body_message(end.error_body), false);
  return failure_output(ErrorCode::kUnavailable, who + "the stream ended before the request finished", end.started);
}

ErrorCode error_code_of_http_status(int status) {
  switch (status) {
    case 400:
    case 422: return ErrorCode::kInvalidArgument;
    case 429: return ErrorCode::kResourceExhausted;
    case 404:  // not the server we meant (a stale registration), or not the model: try another
    case 502:
    case 503: return ErrorCode::kUnavailable;
    case 504: return ErrorCode::kDeadlineExceeded;
    default: return ErrorCode::kInternal;
  }
}

void append_error_body(std::string* body, std::string_view piece) {
  constexpr size_t kMaxBytes = 64 * 1024;
  if (body->size() < kMaxBytes) body->append(piece.substr(0, kMaxBytes));
}

std::string error_body_message(const std::string& body) {
  auto j = nlohmann::json::parse(body, nullptr, false);
  if (j.is_object() && j.contains("error")) {
    const auto& e = j["error"];
    if (e.is_object() && e.contains("message") && e["message"].is_string()) return e["message"].get<std::string>();
    if (e.is_string()) return e.get<std::string>();
  }
  return body.substr(0, 200);
}

}  // namespace turbine
