#include "api/field_reader.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <sstream>

namespace turbine::api {
namespace {

// "0", "0.5", "2": short forms of the bounds errors quote.
std::string format_bound(double v) {
  std::ostringstream out;
  out << v;
  return out.str();
}

// The deepest nesting of arrays and objects in `text`, brackets inside strings not counted.
// Stops counting once past kMaxJsonDepth.
int nesting_depth(std::string_view text) {
  int depth = 0, deepest = 0;
  bool in_string = false, escaped = false;
  for (const char c : text) {
    if (in_string) {
      if (escaped) {
        escaped = false;
      } else if (c == '\\') {
        escaped = true;
      } else if (c == '"') {
        in_string = false;
      }
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      deepest = std::max(deepest, ++depth);
      if (deepest > kMaxJsonDepth) break;
    } else if (c == ']' || c == '}') {
      --depth;
    }
  }
  return deepest;
}

}  // namespace

std::string json_type_name(const nlohmann::json& value) {
  if (value.is_number()) return "number";  // nlohmann splits integers and floats; OpenAI does not
  return value.type_name();
}

std::optional<int64_t> json_integer(const nlohmann::json& value) {
  if (value.is_number_integer() && !value.is_number_unsigned()) return value.get<int64_t>();
  if (value.is_number_unsigned()) {
    const uint64_t u = value.get<uint64_t>();
    if (u > uint64_t(std::numeric_limits<int64_t>::max())) return std::nullopt;
    return int64_t(u);
  }
  if (value.is_number_float()) {
    const double d = value.get<double>();
    // 2^63 is exactly representable; anything >= it does not fit.
    if (!std::isfinite(d) || std::trunc(d) != d || d < -9223372036854775808.0 || d >= 9223372036854775808.0)
      return std::nullopt;
    return int64_t(d);
  }
  return std::nullopt;
}

ApiResult<nlohmann::json> parse_request_body(std::string_view body) {
  if (nesting_depth(body) > kMaxJsonDepth) {
    return invalid_request("The request body nests arrays and objects deeper than " + std::to_string(kMaxJsonDepth) +
                           " levels");
  }
  nlohmann::json parsed;
  try {
    parsed = nlohmann::json::parse(body);
  } catch (const nlohmann::json::exception& e) {
    // A syntax error (parse_error) or a number too large for a double (out_of_range.406);
    // e.what() reads "[json.exception.parse_error.101] parse error at line 1, column 9: ...".
    std::string what = e.what();
    const size_t tag_end = what.find("] ");
    if (tag_end != std::string::npos) what.erase(0, tag_end + 2);
    return invalid_request("The request body is not valid JSON: " + what);
  }
  if (!parsed.is_object()) {
    return invalid_request("The request body must be a JSON object, got " + json_type_name(parsed));
  }
  return parsed;
}

FieldReader::FieldReader(const nlohmann::json& object, std::string prefix)
    : object_(object), prefix_(std::move(prefix)) {
  TB_CHECK(object_.is_object(), "FieldReader needs a JSON object");
}

const nlohmann::json* FieldReader::value(const char* key) const {
  const auto it = object_.find(key);
  if (it == object_.end() || it->is_null()) return nullptr;
  return &*it;
}

void FieldReader::fail(ApiError error) {
  if (!error_) error_ = std::move(error);
}

const ApiError& FieldReader::error() const {
  TB_CHECK(error_.has_value(), "error() on a FieldReader that has not failed");
  return *error_;
}

void FieldReader::fail_type(const char* key, const char* expected, const nlohmann::json& got) {
  fail(key, "'" + param(key) + "' must be " + expected + ", got " + json_type_name(got));
}

std::optional<bool> FieldReader::boolean(const char* key) {
  const nlohmann::json* v = failed() ? nullptr : value(key);
  if (!v) return std::nullopt;
  if (!v->is_boolean()) {
    fail_type(key, "a boolean", *v);
    return std::nullopt;
  }
  return v->get<bool>();
}

std::optional<int64_t> FieldReader::integer(const char* key, int64_t min, int64_t max) {
  const nlohmann::json* v = failed() ? nullptr : value(key);
  if (!v) return std::nullopt;
  const std::optional<int64_t> i = json_integer(*v);
  if (!i || *i < min || *i > max) {
    if (!v->is_number()) {
      fail_type(key, "an integer", *v);
    } else {
      fail(key, "'" + param(key) + "' must be an integer in [" + std::to_string(min) + ", " +
                    std::to_string(max) + "], got " + v->dump());
    }
    return std::nullopt;
  }
  return i;
}

std::optional<double> FieldReader::number(const char* key, double min, double max, bool min_exclusive) {
  const nlohmann::json* v = failed() ? nullptr : value(key);
  if (!v) return std::nullopt;
  if (!v->is_number()) {
    fail_type(key, "a number", *v);
    return std::nullopt;
  }
  const double d = v->get<double>();
  const bool above_min = min_exclusive ? d > min : d >= min;
  if (!std::isfinite(d) || !above_min || d > max) {
    const std::string range = (min_exclusive ? "(" : "[") + format_bound(min) + ", " +
                              (std::isinf(max) ? std::string("inf)") : format_bound(max) + "]");
    fail(key, "'" + param(key) + "' must be a number in " + range + ", got " + v->dump());
    return std::nullopt;
  }
  return d;
}

std::optional<std::string> FieldReader::string(const char* key) {
  const nlohmann::json* v = failed() ? nullptr : value(key);
  if (!v) return std::nullopt;
  if (!v->is_string()) {
    fail_type(key, "a string", *v);
    return std::nullopt;
  }
  return v->get<std::string>();
}

const nlohmann::json* FieldReader::object(const char* key) {
  const nlohmann::json* v = failed() ? nullptr : value(key);
  if (v && !v->is_object()) {
    fail_type(key, "an object", *v);
    return nullptr;
  }
  return v;
}

const nlohmann::json* FieldReader::array(const char* key) {
  const nlohmann::json* v = failed() ? nullptr : value(key);
  if (v && !v->is_array()) {
    fail_type(key, "an array", *v);
    return nullptr;
  }
  return v;
}

}  // namespace turbine::api
