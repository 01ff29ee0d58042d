// `turbine models`: the model registry from the shell, through a running frontend's admin API
// (registry/admin_api.h): list, weights, the stable version, aliases, removal, and the events
// (rollbacks included). The admin key comes from --admin-key or $TURBINE_ADMIN_KEY.
#include <cstdio>
#include <string>

#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "http/client.h"

namespace turbine::cli {
namespace {

struct ModelsFlags {
  std::string url = "http://127.0.0.1:8000";
  std::string admin_key;
  std::string model, version, alias;
  double weight = 0;
  int limit = 20;
};

// Sends one admin request; prints the answer (pretty JSON) or the error. Exit status.
int admin_call(const ModelsFlags& f, const std::string& method, const std::string& path, const nlohmann::json& body) {
  http::ClientRequest r;
  r.method = method;
  std::string base = f.url;
  while (!base.empty() && base.back() == '/') base.pop_back();
  r.url = base + path;
  r.timeout = std::chrono::milliseconds(10'000);
  if (const std::string key = admin_key_or_env(f.admin_key); !key.empty())
    r.headers.emplace_back("authorization", "Bearer " + key);
  if (method == "POST") {
    r.headers.emplace_back("content-type", "application/json");
    r.body = body.dump();
  }
  auto resp = http::fetch(r);
  if (!resp) return command_error(resp.status().message());
  auto j = nlohmann::json::parse(resp->body, nullptr, false);
  if (resp->status >= 400) {
    std::string message = resp->body;
    if (j.is_object() && j.contains("error") && j["error"].is_object()) message = j["error"].value("message", message);
    return command_error("HTTP " + std::to_string(resp->status) + ": " + message);
  }
  std::printf("%s\n", j.is_discarded() ? resp->body.c_str() : j.dump(2).c_str());
  return 0;
}

}  // namespace

void add_models_command(CLI::App& app) {
  static ModelsFlags f;
  auto* cmd = app.add_subcommand("models", "manage the model registry of a running frontend (versions, weights, aliases)");
  cmd->require_subcommand(1);
  cmd->add_option("--url", f.url, "the frontend (or serve) address");
  cmd->add_option("--admin-key", f.admin_key, "the admin key (default: $TURBINE_ADMIN_KEY)");

  cmd->add_subcommand("list", "models, versions, weights, aliases and the versions with live instances")
      ->callback([] { std::exit(admin_call(f, "GET", "/admin/models", {})); });
  auto* events = cmd->add_subcommand("events", "registry events, newest first (rollbacks, weight changes)");
  events->add_option("--limit", f.limit, "how many")->check(CLI::Range(1, 1000));
  events->callback([] { std::exit(admin_call(f, "GET", "/admin/events?limit=" + std::to_string(f.limit), {})); });

  auto* weight = cmd->add_subcommand("set-weight", "route a share of MODEL's traffic to VERSION (0 stops it)");
  weight->add_option("model", f.model)->required();
  weight->add_option("version", f.version)->required();
  weight->add_option("weight", f.weight)->required()->check(CLI::Range(0.0, 1e9));
  weight->callback([] {
    std::exit(admin_call(f, "POST", "/admin/models/weight", {{"model", f.model}, {"version", f.version}, {"weight", f.weight}}));
  });
  auto* stable = cmd->add_subcommand("set-stable", "make VERSION the baseline the others are compared with");
  stable->add_option("model", f.model)->required();
  stable->add_option("version", f.version)->required();
  stable->callback([] {
    std::exit(admin_call(f, "POST", "/admin/models/stable", {{"model", f.model}, {"version", f.version}}));
  });
  auto* remove = cmd->add_subcommand("remove", "remove MODEL's entry, or only VERSION");
  remove->add_option("model", f.model)->required();
  remove->add_option("version", f.version);
  remove->callback([] {
    nlohmann::json body{{"model", f.model}};
    if (!f.version.empty()) body["version"] = f.version;
    std::exit(admin_call(f, "POST", "/admin/models/remove", body));
  });
  auto* alias = cmd->add_subcommand("alias", "let clients ask for MODEL as ALIAS");
  alias->add_option("alias", f.alias)->required();
  alias->add_option("model", f.model)->required();
  alias->callback([] { std::exit(admin_call(f, "POST", "/admin/aliases/set", {{"alias", f.alias}, {"model", f.model}})); });
  auto* unalias = cmd->add_subcommand("unalias", "remove ALIAS");
  unalias->add_option("alias", f.alias)->required();
  unalias->callback([] { std::exit(admin_call(f, "POST", "/admin/aliases/remove", {{"alias", f.alias}})); });
}

}  // namespace turbine::cli
