// The registry's admin HTTP API, protected by an admin key ("Authorization: Bearer <key>"):
//   GET  /admin/models           {"models": [ModelEntry...], "aliases": {alias: model},
//                                 "live": [{"model", "version"}...] (when live_versions is set)}
//   GET  /admin/events?limit=N   {"events": [RegistryEvent...]}, newest first (N <= 1000, default 100)
//   POST /admin/models/set       body: a ModelEntry                    -> {"model": entry}
//   POST /admin/models/weight    {"model", "version", "weight"}        -> {"model": entry}
//   POST /admin/models/stable    {"model", "version"}                  -> {"model": entry}
//   POST /admin/models/remove    {"model"} or {"model", "version"}     -> {"removed": ...}
//   POST /admin/aliases/set      {"alias", "model"}                    -> {"alias", "model"}
//   POST /admin/aliases/remove   {"alias"}                             -> {"removed": alias}
// Paths are exact (the server routes no path parameters); what a request is about goes in its
// body. Errors: {"error": {"message", "type", "code"}} with 400 for a bad body, 401 for a
// missing or wrong key, 403 when no admin key is configured (the API is disabled), 404 for an
// unknown model, version or alias, 503 when the store cannot be reached.
// Threads: reads answer on the io thread from the registry's snapshot; writes (store round
// trips) run on the AdminApi's own thread so a slow store never holds an io thread.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "http/server.h"
#include "registry/model_registry.h"

namespace turbine::registry {

struct AdminApiOptions {
  // Empty: every admin route answers 403 "admin API disabled: start with --admin-key".
  std::string admin_key = {};
  // Optional: the (model, version) pairs that have live instances now, for GET /admin/models.
  std::function<std::vector<std::pair<std::string, std::string>>()> live_versions = {};
};

class AdminApi {
 public:
  // `registry` must outlive this object.
  AdminApi(ModelRegistry& registry, AdminApiOptions options);
  // Joins the write thread; writes still queued are answered 503. Destroy after the server has
  // stopped (its handlers point here).
  ~AdminApi();
  AdminApi(const AdminApi&) = delete;
  AdminApi& operator=(const AdminApi&) = delete;

  // Adds the routes above to `server` (before its start()).
  void add_routes(http::Server& server);

  // Whether `authorization` (the header's value, if any) carries `admin_key`, compared in
  // constant time. False when admin_key is empty.
  static bool authorized(std::string_view admin_key, std::optional<std::string_view> authorization);

 private:
  struct Job {
    std::shared_ptr<http::Responder> responder;
    std::function<void(http::Responder&)> run;
  };

  // Answers 401/403 and returns false unless the request carries the admin key.
  bool check_key(const http::Request& request, http::Responder& responder) const;
  // Runs `job` on the write thread; 503 when too many are queued.
  void post(Job job);
  void write_loop();

  void handle_list(http::Request request, http::Responder responder);
  void handle_events(http::Request request, http::Responder responder);
  // A POST whose body is a JSON object, handled by `handler` on the write thread; its result is
  // the response body (or an error).
  void add_write_route(http::Server& server, const std::string& path,
                       std::function<Result<std::string>(const nlohmann::json& body)> handler);

  Result<std::string> set_model(const nlohmann::json& body);
  Result<std::string> set_weight(const nlohmann::json& body);
  Result<std::string> set_stable(const nlohmann::json& body);
  Result<std::string> remove(const nlohmann::json& body);
  Result<std::string> set_alias(const nlohmann::json& body);
  Result<std::string> remove_alias(const nlohmann::json& body);

  ModelRegistry& registry_;
  const AdminApiOptions options_;

  std::mutex mu_;  // guards jobs_ and stopping_
  std::condition_variable wake_;
  std::deque<Job> jobs_;
  bool stopping_ = false;
  std::thread writer_;
};

}  // namespace turbine::registry
