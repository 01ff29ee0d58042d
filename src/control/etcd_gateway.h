// etcd's v3 JSON gateway (etcd 3.4, on the client port): the wire form of its requests and
// answers (base64 keys and values, int64s as JSON strings, gRPC error codes) and blocking unary
// calls with a short timeout. Used by EtcdStore and its watches. A value type; any thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/status.h"
#include "control/store.h"
#include "http/client.h"

namespace turbine::control {

std::string base64_encode(std::string_view bytes);
// Decodes standard base64 (padding optional); nullopt for a character outside the alphabet.
std::optional<std::string> base64_decode(std::string_view text);

class EtcdGateway {
 public:
  // `authority`: "host:port" of etcd's client URL.
  EtcdGateway(std::string authority, std::chrono::milliseconds call_timeout);

  const std::string& url() const { return url_; }  // "etcd://host:port"

  // POSTs `body` to `path` (e.g. "/v3/kv/range") and parses the answer. Errors name the URL:
  // kUnavailable when etcd cannot be reached or does not answer in time; etcd's own errors by
  // their gRPC code (kNotFound for a missing lease, kInvalidArgument...).
  Result<nlohmann::json> call(std::string_view path, const nlohmann::json& body) const;

  // The request call() sends, with another timeout (watch streams).
  http::ClientRequest request(std::string_view path, const nlohmann::json& body,
                              std::chrono::milliseconds timeout) const;
  // Turns a transport result and an HTTP answer into JSON or an error, as call() does.
  Result<nlohmann::json> decode(std::string_view path, const Result<http::ClientResponse>& response) const;

  // The "key" and "range_end" of a range over every key under `prefix` ("\0" stands for
  // "from the first key" and "no upper bound").
  static nlohmann::json prefix_range(std::string_view prefix);
  // The "kvs" of a range answer, and the store revision in its header.
  static std::vector<KeyValue> parse_kvs(const nlohmann::json& answer);
  static KeyValue parse_kv(const nlohmann::json& kv);
  static int64_t header_revision(const nlohmann::json& answer);
  // An int64 field: etcd writes them as strings and leaves out zeros. 0 when absent.
  static int64_t int64_field(const nlohmann::json& object, std::string_view name);

 private:
  std::string authority_;
  std::string url_;
  std::chrono::milliseconds call_timeout_;
};

}  // namespace turbine::control
