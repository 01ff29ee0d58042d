// Errors at module boundaries: Status carries a message, Result<T> a value or a Status.
// Value types; any thread.
#pragma once

#include <cstdlib>
#include <string>
#include <utility>
#include <variant>

#include "base/check.h"

namespace turbine {

enum class ErrorCode {
  kOk = 0,
  kInvalidArgument,  // bad input from outside (file, request, flag)
  kNotFound,
  kUnsupported,      // well-formed but not something turbine handles (architecture, dtype)
  kIoError,
  kOutOfRange,
  kResourceExhausted,  // no KV blocks, queue full: a normal outcome on the hot path
  kUnavailable,        // a peer that cannot be reached (name not resolved, connection refused)
  kDeadlineExceeded,   // a peer that went silent past its time limit
  kInternal,
};

class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(ErrorCode code, std::string message) : code_(code), message_(std::move(message)) {}

  static Status ok() { return Status(); }
  bool is_ok() const { return code_ == ErrorCode::kOk; }
  ErrorCode code() const { return code_; }
  const std::string& message() const { return message_; }
  // The same error with `context` in front ("file.gguf: " + message).
  Status with_context(const std::string& context) const {
    return is_ok() ? *this : Status(code_, context + ": " + message_);
  }

 private:
  ErrorCode code_ = ErrorCode::kOk;
  std::string message_;
};

inline Status invalid_argument(std::string m) { return {ErrorCode::kInvalidArgument, std::move(m)}; }
inline Status not_found(std::string m) { return {ErrorCode::kNotFound, std::move(m)}; }
inline Status unsupported(std::string m) { return {ErrorCode::kUnsupported, std::move(m)}; }
inline Status io_error(std::string m) { return {ErrorCode::kIoError, std::move(m)}; }
inline Status out_of_range(std::string m) { return {ErrorCode::kOutOfRange, std::move(m)}; }
inline Status unavailable(std::string m) { return {ErrorCode::kUnavailable, std::move(m)}; }
inline Status deadline_exceeded(std::string m) { return {ErrorCode::kDeadlineExceeded, std::move(m)}; }

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}  // NOLINT: implicit by design
  Result(Status status) : v_(std::move(status)) {  // NOLINT
    TB_CHECK(!std::get<Status>(v_).is_ok(), "Result built from an ok Status");
  }

  bool is_ok() const { return std::holds_alternative<T>(v_); }
  explicit operator bool() const { return is_ok(); }
  const Status& status() const {
    static const Status kOk;
    return is_ok() ? kOk : std::get<Status>(v_);
  }
  T& value() & {
    TB_CHECK(is_ok(), "value() on an error Result: " + std::get<Status>(v_).message());
    return std::get<T>(v_);
  }
  T&& value() && {
    TB_CHECK(is_ok(), "value() on an error Result: " + std::get<Status>(v_).message());
    return std::get<T>(std::move(v_));
  }
  const T& value() const& {
    TB_CHECK(is_ok(), "value() on an error Result: " + std::get<Status>(v_).message());
    return std::get<T>(v_);
  }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

 private:
  std::variant<T, Status> v_;
};

}  // namespace turbine

// Propagate an error Status/Result from an expression returning Status.
#define TB_RETURN_IF_ERROR(expr)              \
  do {                                        \
    ::turbine::Status tb_status_ = (expr);    \
    if (!tb_status_.is_ok()) return tb_status_; \
  } while (0)

#define TB_CONCAT_INNER(a, b) a##b
#define TB_CONCAT(a, b) TB_CONCAT_INNER(a, b)
// `TB_ASSIGN_OR_RETURN(auto x, f())`: x = value of f(), or return its Status.
#define TB_ASSIGN_OR_RETURN(lhs, expr) TB_ASSIGN_OR_RETURN_IMPL(TB_CONCAT(tb_result_, __LINE__), lhs, expr)
#define TB_ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                             \
  if (!tmp.is_ok()) return tmp.status();         \
  lhs = std::move(tmp).value()
