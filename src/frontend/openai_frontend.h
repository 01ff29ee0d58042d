// The OpenAI-compatible HTTP API over the served models: /v1/chat/completions,
// /v1/completions, /v1/models, /tokenize, /detokenize, /health and /metrics. Handlers parse and
// check on the HTTP thread (chat template, tokenizer), hand the request to the model's engine and
// return; the answer is written as outputs arrive (GenerationJob). start()/stop() from the owning
// thread.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "frontend/served_model.h"
#include "frontend/serving_metrics.h"
#include "http/server.h"

namespace turbine {

struct FrontendOptions {
  http::ServerOptions http;
};

class OpenAiFrontend {
 public:
  // The models must outlive the frontend; the first is the default for /tokenize without "model".
  OpenAiFrontend(std::vector<ServedModel*> models, FrontendOptions options = {});
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
  ServedModel* find_model(const std::string& name) const;  // "" : the first

  std::vector<ServedModel*> models_;
  std::vector<ModelMetrics*> model_metrics_;  // parallel to models_
  std::shared_ptr<ServingMetrics> metrics_ = std::make_shared<ServingMetrics>();
  http::Server server_;
};

}  // namespace turbine
