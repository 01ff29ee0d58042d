// The OpenAI-compatible HTTP API over the served models: /v1/chat/completions,
// /v1/completions, /v1/models, /tokenize, /detokenize, /health and /metrics. Handlers parse and
// check on the HTTP thread (chat template, tokenizer), resolve the model name to a version
// (registry, when there is one), hand the request to the router and return; the answer is
// written as outputs arrive (GenerationJob). The same frontend serves `turbine serve` (local
// engines) and `turbine frontend` (workers found in the store). start()/stop() from the owning
// thread.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "frontend/model_catalog.h"
#include "frontend/generation_job.h"
#include "frontend/serving_metrics.h"
#include "http/server.h"
#include "registry/admin_api.h"
#include "registry/model_registry.h"

namespace turbine {

struct FrontendOptions {
  http::ServerOptions http;
  std::string admin_key;  // the registry's admin API (/admin/...); empty: it answers 403
};

// What the frontend joins; all outlive it.
struct FrontendParts {
  const ModelCatalog* catalog = nullptr;  // the first model is the default for /tokenize
  Router* router = nullptr;
  std::shared_ptr<ServingMetrics> metrics;  // the router's families are in its registry
  // Model names to versions (weights, aliases, pins) and the rollback monitor's outcomes. Null:
  // a name routes to any instance of the model.
  registry::ModelRegistry* registry = nullptr;
};

class OpenAiFrontend {
 public:
  explicit OpenAiFrontend(FrontendParts parts, FrontendOptions options = {});
  ~OpenAiFrontend();

  Status start(const std::string& host, uint16_t port);
  uint16_t port() const { return server_.port(); }
  void stop() { server_.stop(); }

 private:
  void handle_chat(http::Request request, http::Responder responder);
  void handle_completions(http::Request request, http::Responder responder);
  void handle_models(http::Request request, http::Responder responder);
  void handle_tokenize(http::Request request, http::Responder responder);
  void handle_detokenize(http::Request request, http::Responder responder);
  void handle_metrics(http::Request request, http::Responder responder);
  // The catalog entry and route for a request's "model" ("" : the first model).
  struct Target {
    ModelCatalog::Entry entry;
    JobRoute route;
  };
  std::optional<Target> resolve(const std::string& requested);

  FrontendParts parts_;
  std::unique_ptr<registry::AdminApi> admin_;  // with a registry; outlives the server's handlers
  http::Server server_;
};

}  // namespace turbine
