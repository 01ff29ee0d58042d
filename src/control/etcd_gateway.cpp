#include "control/etcd_gateway.h"

#include <array>
#include <charconv>

#include "control/key_range.h"

namespace turbine::control {

using nlohmann::json;

namespace {

constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

// etcd's errors carry gRPC status codes.
ErrorCode from_grpc_code(int code) {
  switch (code) {
    case 3: return ErrorCode::kInvalidArgument;
    case 4: return ErrorCode::kDeadlineExceeded;
    case 5: return ErrorCode::kNotFound;
    case 8: return ErrorCode::kResourceExhausted;
    case 11: return ErrorCode::kOutOfRange;
    case 12: return ErrorCode::kUnsupported;
    case 14: return ErrorCode::kUnavailable;
    default: return ErrorCode::kInternal;
  }
}

std::string string_field(const json& object, std::string_view name) {
  auto it = object.find(name);
  return it != object.end() && it->is_string() ? it->get<std::string>() : std::string();
}

}  // namespace

std::string base64_encode(std::string_view bytes) {
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 2 < bytes.size(); i += 3) {
    const uint32_t n = uint32_t(uint8_t(bytes[i])) << 16 | uint32_t(uint8_t(bytes[i + 1])) << 8 |
                       uint8_t(bytes[i + 2]);
    out += {kAlphabet[n >> 18], kAlphabet[(n >> 12) & 63], kAlphabet[(n >> 6) & 63], kAlphabet[n & 63]};
  }
  if (i + 1 == bytes.size()) {
    const uint32_t n = uint32_t(uint8_t(bytes[i])) << 16;
    out += {kAlphabet[n >> 18], kAlphabet[(n >> 12) & 63], '=', '='};
  } else if (i + 2 == bytes.size()) {
    const uint32_t n = uint32_t(uint8_t(bytes[i])) << 16 | uint32_t(uint8_t(bytes[i + 1])) << 8;
    out += {kAlphabet[n >> 18], kAlphabet[(n >> 12) & 63], kAlphabet[(n >> 6) & 63], '='};
  }
  return out;
}

std::optional<std::string> base64_decode(std::string_view text) {
  std::array<int8_t, 256> value;
  value.fill(-1);
  for (int i = 0; i < 64; ++i) value[uint8_t(kAlphabet[i])] = int8_t(i);
  while (!text.empty() && text.back() == '=') text.remove_suffix(1);
  std::string out;
  out.reserve(text.size() * 3 / 4);
  uint32_t bits = 0;
  int num_bits = 0;
  for (char c : text) {
    const int8_t v = value[uint8_t(c)];
    if (v < 0) return std::nullopt;
    bits = bits << 6 | uint32_t(v);
    num_bits += 6;
    if (num_bits >= 8) {
      num_bits -= 8;
      out.push_back(char((bits >> num_bits) & 0xff));
    }
  }
  return out;
}

EtcdGateway::EtcdGateway(std::string authority, std::chrono::milliseconds call_timeout)
    : authority_(std::move(authority)), url_("etcd://" + authority_), call_timeout_(call_timeout) {}

http::ClientRequest EtcdGateway::request(std::string_view path, const json& body,
                                         std::chrono::milliseconds timeout) const {
  return http::ClientRequest{.method = "POST",
                             .url = "http://" + authority_ + std::string(path),
                             .headers = {{"content-type", "application/json"}},
                             .body = body.dump(),
                             .timeout = timeout};
}

Result<json> EtcdGateway::call(std::string_view path, const json& body) const {
  return decode(path, http::fetch(request(path, body, call_timeout_)));
}

Result<json> EtcdGateway::decode(std::string_view path, const Result<http::ClientResponse>& response) const {
  const std::string where = url_ + std::string(path);
  if (!response.is_ok()) return unavailable(where + ": " + response.status().message());
  json answer = json::parse(response->body, nullptr, /*allow_exceptions=*/false);
  if (!answer.is_object()) {
    return unavailable(where + ": not an answer of etcd's v3 gateway (HTTP " + std::to_string(response->status) +
                       "): " + response->body.substr(0, 200));
  }
  if (response->status != 200 || answer.contains("error")) {
    // {"error":"text","message":"text","code":5}; streaming calls nest it: {"error":{...}}.
    const json& error = answer.contains("error") && answer["error"].is_object() ? answer["error"] : answer;
    std::string message = string_field(error, "message");
    if (message.empty()) message = error.dump();
    int64_t code = int64_field(error, "code");
    if (code == 0) code = int64_field(error, "grpc_code");
    return Status(from_grpc_code(static_cast<int>(code)), where + ": " + message);
  }
  return answer;
}

json EtcdGateway::prefix_range(std::string_view prefix) {
  const std::string end = prefix_range_end(prefix);
  const std::string zero(1, '\0');
  return json{{"key", base64_encode(prefix.empty() ? std::string_view(zero) : prefix)},
              {"range_end", base64_encode(end.empty() ? zero : end)}};
}

int64_t EtcdGateway::int64_field(const json& object, std::string_view name) {
  auto it = object.find(name);
  if (it == object.end()) return 0;
  if (it->is_number_integer()) return it->get<int64_t>();
  if (!it->is_string()) return 0;
  const std::string& text = it->get_ref<const std::string&>();
  int64_t value = 0;
  std::from_chars(text.data(), text.data() + text.size(), value);
  return value;
}

KeyValue EtcdGateway::parse_kv(const json& kv) {
  KeyValue out;
  out.key = base64_decode(string_field(kv, "key")).value_or("");
  out.value = base64_decode(string_field(kv, "value")).value_or("");
  out.lease = int64_field(kv, "lease");
  out.mod_revision = int64_field(kv, "mod_revision");
  return out;
}

std::vector<KeyValue> EtcdGateway::parse_kvs(const json& answer) {
  std::vector<KeyValue> kvs;
  auto it = answer.find("kvs");
  if (it == answer.end() || !it->is_array()) return kvs;
  kvs.reserve(it->size());
  for (const json& kv : *it) kvs.push_back(parse_kv(kv));
  return kvs;
}

int64_t EtcdGateway::header_revision(const json& answer) {
  auto it = answer.find("header");
  return it != answer.end() && it->is_object() ? int64_field(*it, "revision") : 0;
}

}  // namespace turbine::control
