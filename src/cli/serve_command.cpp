// `turbine serve`: the OpenAI-compatible API over one engine per model, in one process. With no
// --model it serves the built-in demo model, so a fresh checkout has something to talk to.
// Runs until SIGINT or SIGTERM.
#include <csignal>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "cli/commands.h"
#include "cli/engine_flags.h"
#include "control/store.h"
#include "frontend/local_serving.h"
#include "frontend/openai_frontend.h"
#include "frontend/served_model.h"

namespace turbine::cli {
namespace {

struct ServeFlags {
  std::vector<std::string> models;
  std::vector<std::string> names;
  std::string host = "127.0.0.1";
  int port = 8000;
  EngineFlags engine;
  int http_threads = 1;
  size_t max_body_bytes = 32u << 20;
  std::string router_policy = "least-loaded";
  std::string store;  // "": default_state_store()
  std::string admin_key;
};

int run_serve(ServeFlags f) {
  const sigset_t signals = block_stop_signals();

  if (f.models.empty()) {
    auto demo = ensure_demo_model();
    if (!demo) return command_error("demo model: " + demo.status().message());
    f.models.push_back(*demo);
    if (f.names.empty()) f.names.push_back("demo");
  }
  if (!f.names.empty() && f.names.size() != f.models.size())
    return command_error("give --served-model-name once per --model, or not at all");
  auto eo = engine_options(f.engine, f.models.size());
  if (!eo) return command_error(eo.status().message());
  std::vector<std::shared_ptr<ServedModel>> models;
  std::vector<ServedModel*> raw;
  for (size_t i = 0; i < f.models.size(); ++i) {
    const std::string name = f.names.empty() ? default_model_name(f.models[i]) : f.names[i];
    for (const ServedModel* m : raw)
      if (m->name == name) return command_error("two models are named '" + name + "': use --served-model-name");
    auto m = load_served_model(f.models[i], name, *eo);
    if (!m) return command_error(m.status().message());
    std::fprintf(stderr, "turbine: model %s from %s: %s, KV cache %lld blocks of %d tokens (%.1f MiB), context %lld\n",
                 name.c_str(), f.models[i].c_str(), (*m)->engine->backend_name().c_str(),
                 static_cast<long long>((*m)->engine->num_kv_blocks()), f.engine.block_size,
                 double((*m)->engine->kv_cache_bytes()) / (1 << 20),
                 static_cast<long long>((*m)->max_model_len()));
    raw.push_back(m->get());
    models.push_back(std::move(*m));
  }

  auto policy = parse_policy(f.router_policy);
  if (!policy) return command_error(policy.status().message());
  RouterOptions ro;
  ro.policy = *policy;
  auto serving = LocalServing::create(std::move(models), ro);
  if (!serving) return command_error(serving.status().message());
  // The registry (versions, aliases, rollback) in the embedded store, so it outlives the process.
  if (f.store.empty()) {
    auto path = default_state_store();
    if (!path) return command_error(path.status().message());
    f.store = *path;
  }
  auto store = control::open_store(f.store);
  if (!store) return command_error(store.status().message());
  registry::ModelRegistryOptions rgo;
  rgo.metrics = &(*serving)->metrics()->registry();
  auto registry = registry::ModelRegistry::open(**store, rgo);
  if (!registry) return command_error(registry.status().message());
  FrontendParts parts = (*serving)->parts();
  parts.registry = registry->get();

  FrontendOptions fo;
  fo.http.num_threads = f.http_threads;
  fo.http.max_body_bytes = f.max_body_bytes;
  fo.admin_key = admin_key_or_env(f.admin_key);
  OpenAiFrontend frontend(parts, fo);
  if (Status s = frontend.start(f.host, uint16_t(f.port)); !s.is_ok()) return command_error(s.message());
  std::fprintf(stderr, "turbine: serving on http://%s:%u\n", f.host.c_str(), unsigned(frontend.port()));
  std::fflush(stderr);

  std::fprintf(stderr, "turbine: %s, stopping\n", wait_for_stop(signals));
  frontend.stop();
  return 0;
}

}  // namespace

Result<DType> parse_kv_dtype(const std::string& s) {
  if (s == "f16") return DType::kF16;
  if (s == "bf16") return DType::kBF16;
  if (s == "f32") return DType::kF32;
  if (s == "q8_0") return DType::kQ8_0;
  return invalid_argument("--kv-dtype must be f16, bf16, f32 or q8_0, not '" + s + "'");
}

void add_serve_command(CLI::App& app) {
  static ServeFlags f;
  auto* cmd = app.add_subcommand("serve", "serve models over the OpenAI-compatible HTTP API");
  cmd->add_option("--model", f.models, "a .gguf file or a Hugging Face directory; repeat for several (none: the demo model)");
  cmd->add_option("--served-model-name", f.names, "the name clients use, once per --model (default: the file name)");
  cmd->add_option("--host", f.host, "address to listen on");
  cmd->add_option("--port", f.port, "port to listen on (0: any free port)")->check(CLI::Range(0, 65535));
  add_engine_options(*cmd, f.engine);
  cmd->add_option("--http-threads", f.http_threads, "HTTP io threads")->check(CLI::Range(1, 64));
  cmd->add_option("--max-body-bytes", f.max_body_bytes, "largest request body; beyond: 413");
  cmd->add_option("--router-policy", f.router_policy, kRouterPolicyHelp);
  cmd->add_option("--store", f.store, "the state store for the model registry: an SQLite file or etcd://HOST:PORT "
                                      "(default: $XDG_STATE_HOME/turbine/state.db)");
  cmd->add_option("--admin-key", f.admin_key, kAdminKeyHelp);
  cmd->callback([] { std::exit(run_serve(f)); });
}

}  // namespace turbine::cli
