// Reads typed, range-checked fields out of one JSON object of a request body and turns the first
// wrong type or out-of-range value into an ApiError that names the field. The request parsers'
// common tool; one reader per object being parsed, any thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "api/api_error.h"

namespace turbine::api {

// The name of a JSON value's type as an error message says it ("string", "number", "null").
std::string json_type_name(const nlohmann::json& value);

// An integer value: a JSON integer, or a float with no fractional part (5.0), as pydantic accepts
// it. nullopt for anything else, and for integers outside int64.
std::optional<int64_t> json_integer(const nlohmann::json& value);

// Deepest nesting of arrays and objects a request body may have. JSON's copy, compare and dump
// recurse; a body of a million '[' would overflow an HTTP thread's stack.
inline constexpr int kMaxJsonDepth = 128;

// A request body as a JSON object, or a 400 saying why it is not one (malformed JSON, invalid
// UTF-8, a number too large for a double, nesting deeper than kMaxJsonDepth, another type at the
// top). Never throws.
ApiResult<nlohmann::json> parse_request_body(std::string_view body);

class FieldReader {
 public:
  // `object` must be a JSON object and outlive the reader. `prefix` is the object's own place in
  // the request, put in front of field names in errors ("stream_options." or "messages[2].").
  explicit FieldReader(const nlohmann::json& object, std::string prefix = {});

  // Each read returns the field's value, or nullopt (nullptr) when it is absent, null, or wrong;
  // a wrong one sets error(). After the first error every read returns nullopt, so a parser
  // reads all its fields and checks failed() once.
  std::optional<bool> boolean(const char* key);
  // An integer in [min, max].
  std::optional<int64_t> integer(const char* key, int64_t min, int64_t max);
  // A finite number in [min, max], or (min, max] when `min_exclusive`.
  std::optional<double> number(const char* key, double min, double max, bool min_exclusive = false);
  std::optional<std::string> string(const char* key);
  const nlohmann::json* object(const char* key);
  const nlohmann::json* array(const char* key);
  // The field whatever its type, nullptr when absent or null.
  const nlohmann::json* value(const char* key) const;

  // The field's full name for an error: prefix + key.
  std::string param(const char* key) const { return prefix_ + key; }

  // Records a parser's own error (a cross-field rule); the first error is the one kept.
  void fail(ApiError error);
  void fail(const char* key, const std::string& message) { fail(invalid_request(message, param(key))); }
  bool failed() const { return error_.has_value(); }
  const ApiError& error() const;

 private:
  void fail_type(const char* key, const char* expected, const nlohmann::json& got);

  const nlohmann::json& object_;
  std::string prefix_;
  std::optional<ApiError> error_;
};

}  // namespace turbine::api
