// OpenAI-style errors for requests turbine refuses: the HTTP status and the body clients parse
// ({"error":{...}}), and ApiResult<T>, a parsed value or the error to answer with.
// Value types; any thread.
#pragma once

#include <string>
#include <utility>
#include <variant>

#include "base/check.h"

namespace turbine::api {

struct ApiError {
  int status = 400;       // HTTP status
  std::string message{};  // for people: names the field and what was wrong with it
  std::string type{};     // "invalid_request_error", "not_found_error", "server_error", ...
  std::string param{};    // the request field at fault ("temperature", "messages[2].role"); "": null
  std::string code{};     // machine-readable ("model_not_found"); "": null
};

// 400 invalid_request_error: malformed JSON, a wrong type, a value out of range, an unsupported
// feature.
ApiError invalid_request(std::string message, std::string param = {});
// 404 not_found_error, param "model", code "model_not_found".
ApiError model_not_found(const std::string& model);
// 429 rate_limit_error: the server's queues are full; the client may retry.
ApiError rate_limited(std::string message);
// 500 server_error: turbine's own failure, never the client's.
ApiError server_error(std::string message);
// 503 service_unavailable_error: no instance can take the request now (starting, draining).
ApiError service_unavailable(std::string message);

// {"error":{"message":...,"type":...,"param":...|null,"code":...|null}}. Never throws, even on
// message bytes that are not valid UTF-8 (they become U+FFFD).
std::string error_json(const ApiError& error);

// A parsed value or the ApiError to send back; the shape of Result<T> with an ApiError.
template <typename T>
class [[nodiscard]] ApiResult {
 public:
  ApiResult(T value) : v_(std::move(value)) {}        // NOLINT: implicit by design
  ApiResult(ApiError error) : v_(std::move(error)) {}  // NOLINT

  bool is_ok() const { return std::holds_alternative<T>(v_); }
  explicit operator bool() const { return is_ok(); }
  const ApiError& error() const {
    TB_CHECK(!is_ok(), "error() on an ok ApiResult");
    return std::get<ApiError>(v_);
  }
  T& value() & {
    TB_CHECK(is_ok(), "value() on an error ApiResult: " + std::get<ApiError>(v_).message);
    return std::get<T>(v_);
  }
  const T& value() const& {
    TB_CHECK(is_ok(), "value() on an error ApiResult: " + std::get<ApiError>(v_).message);
    return std::get<T>(v_);
  }
  T&& value() && {
    TB_CHECK(is_ok(), "value() on an error ApiResult: " + std::get<ApiError>(v_).message);
    return std::get<T>(std::move(v_));
  }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

 private:
  std::variant<T, ApiError> v_;
};

}  // namespace turbine::api
