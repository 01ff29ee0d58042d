#include "registry/admin_api.h"

#include <charconv>
#include <cmath>

#include <nlohmann/json.hpp>

namespace turbine::registry {

namespace {

using nlohmann::json;

constexpr size_t kMaxQueuedWrites = 64;
constexpr size_t kDefaultEventLimit = 100;
constexpr size_t kMaxEventLimit = 1000;

const char* error_type(int status) {
  switch (status) {
    case 400: return "invalid_request_error";
    case 401: return "authentication_error";
    case 403: return "permission_error";
    case 404: return "not_found_error";
    case 503: return "unavailable_error";
    default: return "server_error";
  }
}

http::Response error_response(int status, std::string_view message) {
  json body = {{"error", {{"message", message}, {"type", error_type(status)}, {"code", status}}}};
  http::Response response{.status = status, .body = body.dump()};
  if (status == 401) response.headers.emplace_back("www-authenticate", "Bearer");
  return response;
}

int http_status(const Status& status) {
  switch (status.code()) {
    case ErrorCode::kInvalidArgument:
    case ErrorCode::kOutOfRange: return 400;
    case ErrorCode::kNotFound: return 404;
    case ErrorCode::kUnavailable:
    case ErrorCode::kDeadlineExceeded:
    case ErrorCode::kResourceExhausted: return 503;
    default: return 500;
  }
}

http::Response ok_response(std::string body) { return http::Response{.status = 200, .body = std::move(body)}; }

// Fails on a field of `body` that is not in `known`.
Status check_fields(const json& body, std::initializer_list<const char*> known) {
  for (const auto& [key, value] : body.items()) {
    bool found = false;
    for (const char* k : known) found = found || key == k;
    if (!found) return invalid_argument(key + ": unknown field");
  }
  return Status::ok();
}

// body[key] as a string; "" when absent and not `required`.
Result<std::string> string_field(const json& body, const char* key, bool required = true) {
  auto it = body.find(key);
  if (it == body.end() || it->is_null()) {
    if (required) return invalid_argument(std::string(key) + ": required");
    return std::string();
  }
  if (!it->is_string()) return invalid_argument(std::string(key) + ": expected a string");
  return it->get<std::string>();
}

// The value of `name` in a raw query string ("limit=5&x=y"), if present.
std::optional<std::string_view> query_param(std::string_view query, std::string_view name) {
  while (!query.empty()) {
    size_t amp = query.find('&');
    std::string_view part = query.substr(0, amp);
    if (part.size() > name.size() && part.starts_with(name) && part[name.size()] == '=') {
      return part.substr(name.size() + 1);
    }
    if (amp == std::string_view::npos) break;
    query.remove_prefix(amp + 1);
  }
  return std::nullopt;
}

std::string entry_body(const ModelEntry& entry) { return json{{"model", to_json(entry)}}.dump(); }

}  // namespace

AdminApi::AdminApi(ModelRegistry& registry, AdminApiOptions options)
    : registry_(registry), options_(std::move(options)), writer_([this] { write_loop(); }) {}

AdminApi::~AdminApi() {
  std::deque<Job> left;
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
    left.swap(jobs_);
  }
  wake_.notify_all();
  writer_.join();
  for (Job& job : left) job.responder->respond(error_response(503, "the admin API is shutting down"));
}

bool AdminApi::authorized(std::string_view admin_key, std::optional<std::string_view> authorization) {
  if (admin_key.empty() || !authorization) return false;
  std::string_view value = *authorization;
  constexpr std::string_view kScheme = "bearer ";
  if (value.size() < kScheme.size() || http::ascii_lowercase(value.substr(0, kScheme.size())) != kScheme) {
    return false;
  }
  std::string_view given = value.substr(kScheme.size());
  while (!given.empty() && given.front() == ' ') given.remove_prefix(1);
  // Constant time in the key's content: every byte of the longer one is looked at.
  size_t n = std::max(given.size(), admin_key.size());
  unsigned char diff = given.size() == admin_key.size() ? 0 : 1;
  for (size_t i = 0; i < n; ++i) {
    unsigned char a = i < given.size() ? static_cast<unsigned char>(given[i]) : 0;
    unsigned char b = i < admin_key.size() ? static_cast<unsigned char>(admin_key[i]) : 0;
    diff |= a ^ b;
  }
  return diff == 0;
}

bool AdminApi::check_key(const http::Request& request, http::Responder& responder) const {
  if (options_.admin_key.empty()) {
    responder.respond(error_response(403, "admin API disabled: start with --admin-key"));
    return false;
  }
  std::optional<std::string_view> authorization = request.header("authorization");
  if (!authorization) {
    responder.respond(error_response(401, "missing admin key: send \"Authorization: Bearer <admin key>\""));
    return false;
  }
  if (!authorized(options_.admin_key, authorization)) {
    responder.respond(error_response(401, "wrong admin key"));
    return false;
  }
  return true;
}

void AdminApi::post(Job job) {
  std::unique_lock lock(mu_);
  if (stopping_ || jobs_.size() >= kMaxQueuedWrites) {
    lock.unlock();
    job.responder->respond(error_response(503, "too many admin writes in progress; retry"));
    return;
  }
  jobs_.push_back(std::move(job));
  lock.unlock();
  wake_.notify_one();
}

void AdminApi::write_loop() {
  std::unique_lock lock(mu_);
  while (true) {
    wake_.wait(lock, [this] { return stopping_ || !jobs_.empty(); });
    if (stopping_) return;
    Job job = std::move(jobs_.front());
    jobs_.pop_front();
    lock.unlock();
    if (!job.responder->client_gone()) job.run(*job.responder);
    lock.lock();
  }
}

void AdminApi::add_routes(http::Server& server) {
  server.route("GET", "/admin/models", [this](http::Request request, http::Responder responder) {
    handle_list(std::move(request), std::move(responder));
  });
  server.route("GET", "/admin/events", [this](http::Request request, http::Responder responder) {
    handle_events(std::move(request), std::move(responder));
  });
  add_write_route(server, "/admin/models/set", [this](const json& body) { return set_model(body); });
  add_write_route(server, "/admin/models/weight", [this](const json& body) { return set_weight(body); });
  add_write_route(server, "/admin/models/stable", [this](const json& body) { return set_stable(body); });
  add_write_route(server, "/admin/models/remove", [this](const json& body) { return remove(body); });
  add_write_route(server, "/admin/aliases/set", [this](const json& body) { return set_alias(body); });
  add_write_route(server, "/admin/aliases/remove", [this](const json& body) { return remove_alias(body); });
}

void AdminApi::add_write_route(http::Server& server, const std::string& path,
                               std::function<Result<std::string>(const json& body)> handler) {
  server.route("POST", path, [this, handler](http::Request request, http::Responder responder) {
    if (!check_key(request, responder)) return;
    Result<json> body = parse_json_document(request.body, "request body");
    if (body.is_ok() && !body->is_object()) body = invalid_argument("request body: expected a JSON object");
    if (!body.is_ok()) {
      responder.respond(error_response(400, body.status().message()));
      return;
    }
    auto shared = std::make_shared<http::Responder>(std::move(responder));
    post({shared, [handler, body = std::move(body).value()](http::Responder& r) {
            Result<std::string> result = handler(body);
            if (result.is_ok()) {
              r.respond(ok_response(std::move(result).value()));
            } else {
              r.respond(error_response(http_status(result.status()), result.status().message()));
            }
          }});
  });
}

void AdminApi::handle_list(http::Request request, http::Responder responder) {
  if (!check_key(request, responder)) return;
  std::shared_ptr<const RegistrySnapshot> snapshot = registry_.snapshot();
  json models = json::array();
  for (const auto& [name, entry] : snapshot->models) models.push_back(to_json(entry));
  json aliases = json::object();
  for (const auto& [alias, model] : snapshot->aliases) aliases[alias] = model;
  json body = {{"models", std::move(models)}, {"aliases", std::move(aliases)}};
  if (options_.live_versions) {
    json live = json::array();
    for (const auto& [model, version] : options_.live_versions()) {
      live.push_back({{"model", model}, {"version", version}});
    }
    body["live"] = std::move(live);
  }
  responder.respond(ok_response(body.dump()));
}

void AdminApi::handle_events(http::Request request, http::Responder responder) {
  if (!check_key(request, responder)) return;
  size_t limit = kDefaultEventLimit;
  if (std::optional<std::string_view> text = query_param(request.query, "limit")) {
    auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), limit);
    if (ec != std::errc() || end != text->data() + text->size() || limit < 1 || limit > kMaxEventLimit) {
      responder.respond(error_response(400, "limit: expected an integer in [1, 1000]"));
      return;
    }
  }
  json events = json::array();
  for (const RegistryEvent& event : registry_.events(limit)) events.push_back(to_json(event));
  responder.respond(ok_response(json{{"events", std::move(events)}}.dump()));
}

// ---- Writes (on the write thread).

Result<std::string> AdminApi::set_model(const json& body) {
  TB_ASSIGN_OR_RETURN(ModelEntry entry, model_entry_from_json(body));
  TB_ASSIGN_OR_RETURN(ModelEntry written, registry_.put_model(entry));
  return entry_body(written);
}

Result<std::string> AdminApi::set_weight(const json& body) {
  TB_RETURN_IF_ERROR(check_fields(body, {"model", "version", "weight"}));
  TB_ASSIGN_OR_RETURN(std::string model, string_field(body, "model"));
  TB_ASSIGN_OR_RETURN(std::string version, string_field(body, "version"));
  auto weight = body.find("weight");
  if (weight == body.end() || weight->is_null()) return invalid_argument("weight: required");
  if (!weight->is_number()) return invalid_argument("weight: expected a number");
  TB_ASSIGN_OR_RETURN(ModelEntry entry, registry_.set_weight(model, version, weight->get<double>()));
  return entry_body(entry);
}

Result<std::string> AdminApi::set_stable(const json& body) {
  TB_RETURN_IF_ERROR(check_fields(body, {"model", "version"}));
  TB_ASSIGN_OR_RETURN(std::string model, string_field(body, "model"));
  TB_ASSIGN_OR_RETURN(std::string version, string_field(body, "version"));
  TB_ASSIGN_OR_RETURN(ModelEntry entry, registry_.set_stable(model, version));
  return entry_body(entry);
}

Result<std::string> AdminApi::remove(const json& body) {
  TB_RETURN_IF_ERROR(check_fields(body, {"model", "version"}));
  TB_ASSIGN_OR_RETURN(std::string model, string_field(body, "model"));
  TB_ASSIGN_OR_RETURN(std::string version, string_field(body, "version", /*required=*/false));
  if (version.empty()) {
    TB_RETURN_IF_ERROR(registry_.remove_model(model));
    return json{{"removed", {{"model", model}}}}.dump();
  }
  TB_ASSIGN_OR_RETURN(ModelEntry entry, registry_.remove_version(model, version));
  return json{{"removed", {{"model", model}, {"version", version}}}, {"model", to_json(entry)}}.dump();
}

Result<std::string> AdminApi::set_alias(const json& body) {
  TB_RETURN_IF_ERROR(check_fields(body, {"alias", "model"}));
  TB_ASSIGN_OR_RETURN(std::string alias, string_field(body, "alias"));
  TB_ASSIGN_OR_RETURN(std::string model, string_field(body, "model"));
  TB_RETURN_IF_ERROR(registry_.set_alias(alias, model));
  return json{{"alias", alias}, {"model", model}}.dump();
}

Result<std::string> AdminApi::remove_alias(const json& body) {
  TB_RETURN_IF_ERROR(check_fields(body, {"alias"}));
  TB_ASSIGN_OR_RETURN(std::string alias, string_field(body, "alias"));
  TB_RETURN_IF_ERROR(registry_.remove_alias(alias));
  return json{{"removed", {{"alias", alias}}}}.dump();
}

}  // namespace turbine::registry
