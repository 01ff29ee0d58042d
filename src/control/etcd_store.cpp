#include "control/etcd_store.h"

#include "http/url.h"

namespace turbine::control {

using nlohmann::json;

namespace {

constexpr std::string_view kScheme = "etcd://";

Status check_key(std::string_view key) {
  return key.empty() ? invalid_argument("an empty key") : Status::ok();
}

// "etcd://host[:port]" -> "host:port".
Result<std::string> parse_authority(const std::string& url) {
  if (url.rfind(kScheme, 0) != 0) return invalid_argument(url + ": not an etcd:// URL");
  std::string rest = url.substr(kScheme.size());
  if (!rest.empty() && rest.back() == '/') rest.pop_back();
  if (rest.find_first_of("/?#,@") != std::string::npos) {
    return invalid_argument(url + ": expected etcd://HOST:PORT (one endpoint, no path)");
  }
  // No port: etcd's client port. A bracketed IPv6 address has colons of its own.
  const size_t colon = rest.rfind(':');
  const size_t bracket = rest.rfind(']');
  if (colon == std::string::npos || (bracket != std::string::npos && colon < bracket)) rest += ":2379";
  Result<http::Url> parsed = http::parse_url("http://" + rest);
  if (!parsed.is_ok()) return invalid_argument(url + ": " + parsed.status().message());
  return parsed->authority();
}

}  // namespace

Result<std::unique_ptr<EtcdStore>> EtcdStore::open(const std::string& url, EtcdOptions options) {
  TB_ASSIGN_OR_RETURN(std::string authority, parse_authority(url));
  std::unique_ptr<EtcdStore> store(new EtcdStore(EtcdGateway(authority, options.call_timeout), options));
  // Any answer will do: a range over one key that is never written.
  Result<json> answer = store->gateway_.call("/v3/kv/range", json{{"key", base64_encode("\x01health")},
                                                                   {"count_only", true}});
  if (!answer.is_ok()) return answer.status().with_context("cannot open the store");
  return store;
}

Result<std::optional<KeyValue>> EtcdStore::get(std::string_view key) {
  TB_RETURN_IF_ERROR(check_key(key));
  TB_ASSIGN_OR_RETURN(json answer, gateway_.call("/v3/kv/range", json{{"key", base64_encode(key)}}));
  std::vector<KeyValue> kvs = EtcdGateway::parse_kvs(answer);
  if (kvs.empty()) return std::optional<KeyValue>();
  return std::optional<KeyValue>(std::move(kvs.front()));
}

Result<std::vector<KeyValue>> EtcdStore::get_prefix(std::string_view prefix) {
  TB_ASSIGN_OR_RETURN(json answer, gateway_.call("/v3/kv/range", EtcdGateway::prefix_range(prefix)));
  return EtcdGateway::parse_kvs(answer);  // etcd sorts by key, ascending, by default
}

Status EtcdStore::put(std::string_view key, std::string_view value, LeaseId lease) {
  TB_RETURN_IF_ERROR(check_key(key));
  json body{{"key", base64_encode(key)}, {"value", base64_encode(value)}};
  if (lease != 0) body["lease"] = std::to_string(lease);
  return gateway_.call("/v3/kv/put", body).status();
}

Result<bool> EtcdStore::erase(std::string_view key) {
  TB_RETURN_IF_ERROR(check_key(key));
  TB_ASSIGN_OR_RETURN(json answer, gateway_.call("/v3/kv/deleterange", json{{"key", base64_encode(key)}}));
  return EtcdGateway::int64_field(answer, "deleted") > 0;
}

Result<LeaseId> EtcdStore::grant_lease(std::chrono::seconds ttl) {
  if (ttl.count() <= 0) return invalid_argument("a lease TTL must be positive");
  TB_ASSIGN_OR_RETURN(json answer, gateway_.call("/v3/lease/grant", json{{"TTL", std::to_string(ttl.count())}}));
  const LeaseId lease = EtcdGateway::int64_field(answer, "ID");
  if (lease == 0) return Status(ErrorCode::kInternal, url() + ": lease grant answered no ID");
  return lease;
}

Status EtcdStore::keep_alive(LeaseId lease) {
  TB_ASSIGN_OR_RETURN(json answer, gateway_.call("/v3/lease/keepalive", json{{"ID", std::to_string(lease)}}));
  // {"result":{"header":...,"ID":"..","TTL":"5"}}; an ended lease comes back without a TTL.
  auto result = answer.find("result");
  if (result == answer.end() || !result->is_object() || EtcdGateway::int64_field(*result, "TTL") <= 0) {
    return not_found(url() + ": lease " + std::to_string(lease) + " not found");
  }
  return Status::ok();
}

Status EtcdStore::revoke_lease(LeaseId lease) {
  Result<json> answer = gateway_.call("/v3/lease/revoke", json{{"ID", std::to_string(lease)}});
  if (!answer.is_ok() && answer.status().code() == ErrorCode::kNotFound) return Status::ok();
  return answer.status();
}

Result<std::unique_ptr<Watch>> EtcdStore::watch_prefix(std::string_view prefix, WatchHandlers handlers) {
  TB_ASSIGN_OR_RETURN(json answer, gateway_.call("/v3/kv/range", EtcdGateway::prefix_range(prefix)));
  EtcdWatchOptions watch_options = options_.watch;
  watch_options.call_timeout = options_.call_timeout;
  return std::unique_ptr<Watch>(std::make_unique<EtcdWatch>(
      gateway_, watch_options, std::string(prefix), std::move(handlers), EtcdGateway::parse_kvs(answer),
      EtcdGateway::header_revision(answer)));
}

}  // namespace turbine::control
