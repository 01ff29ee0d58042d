#include "frontend/openai_frontend.h"

#include <atomic>
#include <chrono>
#include <cstdio>
#include <random>

#include "api/api_error.h"
#include "api/chat_request.h"
#include "api/completion_request.h"
#include "api/model_list.h"
#include "api/tokenize.h"
#include "frontend/error_response.h"
#include "frontend/generation_job.h"
#include "frontend/request_mapping.h"

namespace turbine {

namespace {

// OpenAI error objects for the errors the HTTP layer makes itself (404, 413, 408...).
http::Response transport_error(int status, std::string_view message) {
  api::ApiError e;
  e.status = status;
  e.message = std::string(message);
  e.type = status == 404 ? "not_found_error" : status >= 500 ? "server_error" : "invalid_request_error";
  return error_response(e);
}

int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

// "chatcmpl-" + 24 hex digits: unique per process run and request.
std::string response_id(const char* prefix) {
  static std::atomic<uint64_t> counter{0};
  static const uint64_t run = std::random_device{}() * 0x9e3779b97f4a7c15ull ^ uint64_t(unix_now());
  char buf[64];
  std::snprintf(buf, sizeof buf, "%s%016llx%08llx", prefix, static_cast<unsigned long long>(run),
                static_cast<unsigned long long>(counter.fetch_add(1) & 0xffffffffull));
  return buf;
}

// What both endpoints take from the request's shared fields for the answer's shape.
JobOptions job_options(const api::GenerationParams& p, bool chat, const ServedModel& model) {
  JobOptions o;
  o.chat = chat;
  o.stream = p.stream;
  o.include_usage = p.stream_options.include_usage;
  o.continuous_usage = p.stream_options.continuous_usage_stats;
  o.id = response_id(chat ? "chatcmpl-" : "cmpl-");
  o.created = unix_now();
  o.model_name = model.name;
  o.stop = p.stop;
  o.include_stop_str = p.include_stop_str_in_output;
  o.skip_special_tokens = p.skip_special_tokens;
  return o;
}

}  // namespace

OpenAiFrontend::OpenAiFrontend(FrontendParts parts, FrontendOptions options)
    : parts_(std::move(parts)), server_([&] {
        http::ServerOptions o = options.http;
        o.error_body = transport_error;
        return o;
      }()) {
  server_.route("POST", "/v1/chat/completions", [this](http::Request q, http::Responder r) { handle_chat(std::move(q), std::move(r)); });
  server_.route("POST", "/v1/completions", [this](http::Request q, http::Responder r) { handle_completions(std::move(q), std::move(r)); });
  server_.route("GET", "/v1/models", [this](http::Request q, http::Responder r) { handle_models(std::move(q), std::move(r)); });
  server_.route("POST", "/tokenize", [this](http::Request q, http::Responder r) { handle_tokenize(std::move(q), std::move(r)); });
  server_.route("POST", "/detokenize", [this](http::Request q, http::Responder r) { handle_detokenize(std::move(q), std::move(r)); });
  server_.route("GET", "/metrics", [this](http::Request q, http::Responder r) { handle_metrics(std::move(q), std::move(r)); });
  server_.route("GET", "/health", [](http::Request, http::Responder r) { r.respond({200, "", ""}); });
  if (parts_.registry) {
    registry::AdminApiOptions ao;
    ao.admin_key = options.admin_key;
    ao.live_versions = [router = parts_.router] {
      std::vector<std::pair<std::string, std::string>> live;
      for (const InstanceStatus& s : router->instances()) live.emplace_back(s.info.model, s.info.version);
      return live;
    };
    admin_ = std::make_unique<registry::AdminApi>(*parts_.registry, std::move(ao));
    admin_->add_routes(server_);
  }
}

OpenAiFrontend::~OpenAiFrontend() { server_.stop(); }

Status OpenAiFrontend::start(const std::string& host, uint16_t port) { return server_.start(host, port); }

std::optional<OpenAiFrontend::Target> OpenAiFrontend::resolve(const std::string& requested) {
  Target t;
  t.route.router = parts_.router;
  std::string model = requested;
  if (parts_.registry && !requested.empty()) {
    thread_local std::mt19937_64 rng{std::random_device{}()};
    Router* router = parts_.router;
    const registry::ResolvedModel r = parts_.registry->resolve(
        requested, [router](std::string_view m, std::string_view v) { return router->has_instances(std::string(m), std::string(v)); },
        rng);
    model = r.model;
    t.route.version = r.version;
    if (!r.version.empty())
      t.route.on_outcome = [reg = parts_.registry, model = r.model, version = r.version](bool ok, double seconds) {
        reg->record_outcome(model, version, ok, seconds);
      };
  }
  auto entry = parts_.catalog->find(model);
  if (!entry) return std::nullopt;
  t.route.model = entry->model->name;
  t.entry = std::move(*entry);
  return t;
}

void OpenAiFrontend::handle_chat(http::Request request, http::Responder responder) {
  auto req = api::parse_chat_completion_request(request.body);
  if (!req) return responder.respond(error_response(req.error()));
  auto target = resolve(req->params.model);
  if (!target) return responder.respond(error_response(api::model_not_found(req->params.model)));
  const ServedModel* model = target->entry.model.get();
  auto tokens = chat_prompt_tokens(*model, req->template_messages, req->template_tools,
                                   req->template_options, req->add_special_tokens);
  if (!tokens) return responder.respond(error_response(tokens.error()));
  const int32_t logprobs = req->logprobs ? req->top_logprobs : -1;
  auto params = engine_params(req->params, *model, int64_t(tokens->size()), logprobs, false);
  if (!params) return responder.respond(error_response(params.error()));
  JobOptions o = job_options(req->params, /*chat=*/true, *model);
  o.logprobs = req->logprobs;
  std::vector<JobPrompt> prompts(1);
  prompts[0].tokens = std::move(*tokens);
  GenerationJob::start(target->entry.model, std::move(target->route), parts_.metrics, target->entry.metrics, std::move(o),
                       std::move(prompts), std::move(*params), std::move(responder));
}

void OpenAiFrontend::handle_completions(http::Request request, http::Responder responder) {
  auto req = api::parse_completion_request(request.body);
  if (!req) return responder.respond(error_response(req.error()));
  auto target = resolve(req->params.model);
  if (!target) return responder.respond(error_response(api::model_not_found(req->params.model)));
  const ServedModel* model = target->entry.model.get();
  const Tokenizer& tok = *model->tokenizer;
  std::vector<JobPrompt> prompts;
  for (auto& p : req->prompts) {
    JobPrompt jp;
    if (auto* text = std::get_if<std::string>(&p)) {
      jp.tokens = tok.encode(*text, req->add_special_tokens && tok.add_bos_default(), true);
      jp.text = *text;
    } else {
      jp.tokens = std::get<std::vector<int32_t>>(p);
      for (int32_t t : jp.tokens)
        if (t < 0 || t >= tok.vocab_size())
          return responder.respond(error_response(api::invalid_request(
              "token id " + std::to_string(t) + " is outside the vocabulary of " + std::to_string(tok.vocab_size()),
              "prompt")));
      if (req->echo) jp.text = tok.decode(jp.tokens, req->params.skip_special_tokens);
    }
    if (jp.tokens.empty()) return responder.respond(error_response(api::invalid_request("the prompt is empty", "prompt")));
    prompts.push_back(std::move(jp));
  }
  const int32_t logprobs = req->logprobs ? *req->logprobs : -1;
  // One parameter set serves every prompt; the longest prompt decides whether it fits.
  size_t longest = 0;
  for (const auto& p : prompts) longest = std::max(longest, p.tokens.size());
  auto params = engine_params(req->params, *model, int64_t(longest), logprobs, req->echo && req->logprobs.has_value());
  if (!params) return responder.respond(error_response(params.error()));
  JobOptions o = job_options(req->params, /*chat=*/false, *model);
  o.logprobs = req->logprobs.has_value();
  o.echo = req->echo;
  GenerationJob::start(target->entry.model, std::move(target->route), parts_.metrics, target->entry.metrics, std::move(o),
                       std::move(prompts), std::move(*params), std::move(responder));
}

void OpenAiFrontend::handle_models(http::Request, http::Responder responder) {
  std::vector<api::ModelCard> cards;
  for (const ModelCatalog::Entry& e : parts_.catalog->list()) {
    const ServedModel* m = e.model.get();
    if (!parts_.router->has_instances(m->name)) continue;  // its workers are gone
    api::ModelCard c;
    c.id = m->name;
    c.created = m->created;
    c.root = m->path;
    c.max_model_len = m->max_model_len();
    cards.push_back(std::move(c));
  }
  responder.respond({200, "application/json", api::model_list_json(cards)});
}

void OpenAiFrontend::handle_tokenize(http::Request request, http::Responder responder) {
  auto req = api::parse_tokenize_request(request.body);
  if (!req) return responder.respond(error_response(req.error()));
  auto entry = parts_.catalog->find(req->model);
  if (!entry) return responder.respond(error_response(api::model_not_found(req->model)));
  const ServedModel* model = entry->model.get();
  std::vector<int32_t> tokens;
  if (req->is_chat) {
    auto t = chat_prompt_tokens(*model, req->template_messages, req->template_tools, req->template_options,
                                req->add_special_tokens);
    if (!t) return responder.respond(error_response(t.error()));
    tokens = std::move(*t);
  } else {
    const Tokenizer& tok = *model->tokenizer;
    tokens = tok.encode(req->prompt, req->add_special_tokens && tok.add_bos_default(), true);
  }
  std::vector<std::string> strs;
  if (req->return_token_strs)
    for (int32_t t : tokens) strs.push_back(model->tokenizer->token_bytes(t));
  responder.respond({200, "application/json",
                     api::tokenize_response_json(tokens, model->max_model_len(), req->return_token_strs ? &strs : nullptr)});
}

void OpenAiFrontend::handle_detokenize(http::Request request, http::Responder responder) {
  auto req = api::parse_detokenize_request(request.body);
  if (!req) return responder.respond(error_response(req.error()));
  auto entry = parts_.catalog->find(req->model);
  if (!entry) return responder.respond(error_response(api::model_not_found(req->model)));
  const ServedModel* model = entry->model.get();
  for (int32_t t : req->tokens)
    if (t < 0 || t >= model->tokenizer->vocab_size())
      return responder.respond(error_response(api::invalid_request(
          "token id " + std::to_string(t) + " is outside the vocabulary", "tokens")));
  responder.respond({200, "application/json", api::detokenize_response_json(model->tokenizer->decode(req->tokens))});
}

void OpenAiFrontend::handle_metrics(http::Request, http::Responder responder) {
  responder.respond({200, "text/plain; version=0.0.4; charset=utf-8", parts_.metrics->render()});
}

}  // namespace turbine
