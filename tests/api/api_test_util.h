// Request bodies for the api tests: a valid base with fields added, replaced or removed.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

namespace turbine::api::testing {

inline const char* kMinimalChat = R"({"model":"m","messages":[{"role":"user","content":"hi"}]})";
inline const char* kMinimalCompletion = R"({"model":"m","prompt":"Once upon a time"})";

// `base` with each field of `fields` (a JSON object text) set, nulls included.
inline std::string with_fields(const std::string& base, const std::string& fields) {
  nlohmann::json body = nlohmann::json::parse(base);
  body.update(nlohmann::json::parse(fields));
  return body.dump();
}

// `base` without `field`.
inline std::string without(const std::string& base, const std::string& field) {
  nlohmann::json body = nlohmann::json::parse(base);
  body.erase(field);
  return body.dump();
}

}  // namespace turbine::api::testing
