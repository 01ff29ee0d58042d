// `turbine worker`: one engine behind the worker protocol, registered in the store under a lease
// (kWorkersPrefix/<model>/<host:port>) so frontends find it; it leaves the store on SIGINT/SIGTERM
// at once, and when killed, when its lease runs out. With --upstream, the "engine" is an external
// OpenAI-compatible server (--model then only names the tokenizer the frontend uses). Runs until
// a signal.
#include <cstdio>
#include <memory>
#include <string>

#include "cli/commands.h"
#include "cli/engine_flags.h"
#include "control/registration.h"
#include "control/store.h"
#include "frontend/served_model.h"
#include "worker/local_worker.h"
#include "worker/openai_upstream.h"
#include "worker/worker_server.h"

namespace turbine::cli {
namespace {

struct WorkerFlags {
  std::string model;
  std::string name;
  std::string version;
  std::string store = "etcd://127.0.0.1:2379";
  std::string host = "127.0.0.1";
  std::string advertise_host;
  int port = 0;
  int lease_ttl_s = 10;
  int http_threads = 1;
  EngineFlags engine;
  std::string upstream;        // an OpenAI-compatible base URL: the external-engine kind
  std::string upstream_model;  // its model name (default: the served name)
  std::string upstream_api_key;
  int upstream_capacity = 64;
};

// Starts `server`, registers it in the store under a lease, and serves until SIGINT/SIGTERM; then
// leaves the pool before the streams close. `what` describes the instance for the log line.
int serve_registered(WorkerServer& server, control::Store& store, const WorkerFlags& f, const std::string& what,
                     const sigset_t& signals) {
  if (Status s = server.start(f.host, uint16_t(f.port)); !s.is_ok()) return command_error(s.message());
  const WorkerInfo& info = server.info();
  const std::string key = std::string(kWorkersPrefix) + info.model + "/" + info.id;
  control::LeasedRegistration registration(store, {{key, encode_worker_info(info)}}, std::chrono::seconds(f.lease_ttl_s));
  std::fprintf(stderr, "turbine: worker %s (%s) listening on %s, %s in %s\n", info.id.c_str(), what.c_str(),
               info.address.c_str(), registration.registered() ? "registered" : "not yet registered",
               store.url().c_str());
  std::fflush(stderr);
  std::fprintf(stderr, "turbine: %s, stopping\n", wait_for_stop(signals));
  registration.stop();  // out of the pool before the streams close
  server.stop();
  return 0;
}

// What both kinds register, before the instance's own fields.
WorkerInfo registration_info(const WorkerFlags& f, const std::string& name) {
  WorkerInfo info;
  info.model = name;
  info.version = f.version;
  info.model_path = f.model;
  return info;
}

WorkerServerOptions server_options(const WorkerFlags& f) {
  WorkerServerOptions wo;
  wo.http.num_threads = f.http_threads;
  wo.advertise_host = f.advertise_host;
  return wo;
}

// The model part of the log line: "model M[ version V]".
std::string describe_model(const std::string& name, const std::string& version) {
  return "model " + name + (version.empty() ? "" : " version " + version);
}

// The external-engine kind: the frontend tokenizes with --model's tokenizer; the upstream runs.
int run_upstream_worker(const WorkerFlags& f, control::Store& store, const sigset_t& signals) {
  const std::string name = f.name.empty() ? default_model_name(f.model) : f.name;
  auto card = load_model_card(f.model, name, f.engine.max_model_len);
  if (!card) return command_error(card.status().message());
  OpenAiUpstreamOptions uo;
  uo.base_url = f.upstream;
  uo.model = f.upstream_model.empty() ? name : f.upstream_model;
  uo.api_key = f.upstream_api_key;
  OpenAiUpstream upstream(uo, std::make_shared<http::ClientThread>());
  WorkerInfo info = registration_info(f, name);
  info.kind = "openai";
  info.capacity = f.upstream_capacity;
  info.block_size = 0;  // no KV events from outside
  info.max_model_len = (*card)->max_model_len();
  WorkerServer server(upstream, info, [&upstream] { return WorkerLoad{upstream.num_in_flight(), 0, 0.0}; },
                      server_options(f));
  return serve_registered(server, store, f, describe_model(name, f.version) + ", external engine " + f.upstream, signals);
}

int run_worker(const WorkerFlags& f) {
  const sigset_t signals = block_stop_signals();
  auto store = control::open_store(f.store);
  if (!store) return command_error(store.status().message());
  if (!f.upstream.empty()) return run_upstream_worker(f, **store, signals);
  auto eo = engine_options(f.engine);
  if (!eo) return command_error(eo.status().message());
  const std::string name = f.name.empty() ? default_model_name(f.model) : f.name;
  auto loaded = load_served_model(f.model, name, *eo);
  if (!loaded) return command_error(loaded.status().message());
  std::shared_ptr<ServedModel> model = std::move(*loaded);
  Engine& engine = *model->engine;

  LocalWorker local(engine);
  WorkerInfo info = registration_info(f, name);
  info.capacity = engine.max_num_seqs();
  info.block_size = eo->prefix_caching ? engine.block_size() : 0;
  info.max_model_len = engine.max_model_len();
  WorkerServer server(local, info, [&engine] {
    const EngineStats& s = engine.stats();
    return WorkerLoad{s.num_running.load(), s.num_waiting.load(), s.kv_cache_usage.load()};
  }, server_options(f));
  engine.set_kv_event_observer([&server](std::vector<KvEvent> events) { server.publish_kv_events(events); });
  const int status = serve_registered(server, **store, f, describe_model(name, f.version), signals);
  model->engine.reset();  // now, while the server its KV events go to still exists
  return status;
}

}  // namespace

void add_worker_command(CLI::App& app) {
  static WorkerFlags f;
  auto* cmd = app.add_subcommand("worker", "run one engine behind the worker protocol, registered in the store");
  cmd->add_option("--model", f.model, "a .gguf file or a Hugging Face directory (with --upstream: its tokenizer)")
      ->required();
  cmd->add_option("--served-model-name", f.name, "the name clients use (default: the file name)");
  cmd->add_option("--model-version", f.version, "the registry version this worker serves (default: none)");
  cmd->add_option("--store", f.store, "the state store: etcd://HOST:PORT or an SQLite file");
  cmd->add_option("--host", f.host, "address to listen on and to register");
  cmd->add_option("--advertise-host", f.advertise_host,
                  "the address frontends reach this worker at (needed with --host 0.0.0.0)");
  cmd->add_option("--port", f.port, "port for the worker protocol (0: any free port)")->check(CLI::Range(0, 65535));
  cmd->add_option("--lease-ttl", f.lease_ttl_s, "seconds a killed worker stays registered")->check(CLI::Range(1, 3600));
  cmd->add_option("--http-threads", f.http_threads, "HTTP io threads")->check(CLI::Range(1, 64));
  add_engine_options(*cmd, f.engine);
  cmd->add_option("--upstream", f.upstream, "front an external OpenAI-compatible server at this URL instead of an engine");
  cmd->add_option("--upstream-model", f.upstream_model, "the upstream's model name (default: the served name)");
  cmd->add_option("--upstream-api-key", f.upstream_api_key, "bearer token for the upstream");
  cmd->add_option("--upstream-capacity", f.upstream_capacity, "requests the upstream runs at once (for the router)")
      ->check(CLI::Range(1, 1 << 20));
  cmd->callback([] { std::exit(run_worker(f)); });
}

}  // namespace turbine::cli
