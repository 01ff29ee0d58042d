#include "api/api_error.h"

#include <nlohmann/json.hpp>

#include "api/json_dump.h"

namespace turbine::api {
namespace {

ApiError make_error(int status, std::string message, std::string type, std::string param = {},
                    std::string code = {}) {
  return ApiError{status, std::move(message), std::move(type), std::move(param), std::move(code)};
}

nlohmann::ordered_json string_or_null(const std::string& s) {
  return s.empty() ? nlohmann::ordered_json(nullptr) : nlohmann::ordered_json(s);
}

}  // namespace

ApiError invalid_request(std::string message, std::string param) {
  return make_error(400, std::move(message), "invalid_request_error", std::move(param));
}

ApiError model_not_found(const std::string& model) {
  return make_error(404, "The model `" + model + "` does not exist.", "not_found_error", "model",
                    "model_not_found");
}

ApiError rate_limited(std::string message) {
  return make_error(429, std::move(message), "rate_limit_error");
}

ApiError server_error(std::string message) {
  return make_error(500, std::move(message), "server_error");
}

ApiError service_unavailable(std::string message) {
  return make_error(503, std::move(message), "service_unavailable_error");
}

std::string error_json(const ApiError& error) {
  const nlohmann::ordered_json body = {{"error",
                          {{"message", error.message},
                           {"type", error.type},
                           {"param", string_or_null(error.param)},
                           {"code", string_or_null(error.code)}}}};
  return dump_json(body);
}

}  // namespace turbine::api
