// `turbine frontend`: the OpenAI API of `turbine serve` over workers found in the store: each
// worker that registers joins the router's pool (its model's tokenizer is loaded from the path it
// registered), each that leaves or dies leaves it. Runs until SIGINT or SIGTERM.
#include <cstdio>
#include <memory>
#include <string>

#include "cli/commands.h"
#include "control/store.h"
#include "frontend/openai_frontend.h"
#include "frontend/worker_discovery.h"

namespace turbine::cli {
namespace {

struct FrontendFlags {
  std::string store = "etcd://127.0.0.1:2379";
  std::string host = "127.0.0.1";
  int port = 8000;
  int http_threads = 1;
  size_t max_body_bytes = 32u << 20;
  std::string router_policy = "kv";
  int worker_timeout_ms = 60'000;
  double kv_temperature = 0.0;
  double ttft_threshold_ms = 2000;
  double itl_threshold_ms = 200;
  std::string admin_key;
};

int run_frontend(FrontendFlags f) {
  const sigset_t signals = block_stop_signals();
  auto store = control::open_store(f.store);
  if (!store) return command_error(store.status().message());
  auto policy = parse_policy(f.router_policy);
  if (!policy) return command_error(policy.status().message());

  auto metrics = std::make_shared<ServingMetrics>();
  RouterOptions ro;
  ro.policy = *policy;
  ro.kv_temperature = f.kv_temperature;
  ro.ttft_threshold_s = f.ttft_threshold_ms / 1000.0;
  ro.itl_threshold_s = f.itl_threshold_ms / 1000.0;
  ro.metrics = &metrics->registry();
  if (Status s = ro.validate(); !s.is_ok()) return command_error(s.message());
  Router router(ro);
  ModelCatalog catalog;
  DiscoveryOptions d;
  d.worker.request_timeout = std::chrono::milliseconds(f.worker_timeout_ms);
  WorkerDiscovery discovery(**store, router, catalog, metrics, d);
  if (Status s = discovery.start(); !s.is_ok()) return command_error(s.message());
  registry::ModelRegistryOptions rgo;
  rgo.metrics = &metrics->registry();
  auto registry = registry::ModelRegistry::open(**store, rgo);
  if (!registry) return command_error(registry.status().message());

  FrontendOptions fo;
  fo.admin_key = admin_key_or_env(f.admin_key);
  fo.http.num_threads = f.http_threads;
  fo.http.max_body_bytes = f.max_body_bytes;
  OpenAiFrontend frontend(FrontendParts{&catalog, &router, metrics, registry->get()}, fo);
  if (Status s = frontend.start(f.host, uint16_t(f.port)); !s.is_ok()) return command_error(s.message());
  std::fprintf(stderr, "turbine: frontend over %s (%zu workers now), serving on http://%s:%u\n",
               (*store)->url().c_str(), discovery.num_workers(), f.host.c_str(), unsigned(frontend.port()));
  std::fflush(stderr);

  std::fprintf(stderr, "turbine: %s, stopping\n", wait_for_stop(signals));
  frontend.stop();
  return 0;
}

}  // namespace

void add_frontend_command(CLI::App& app) {
  static FrontendFlags f;
  auto* cmd = app.add_subcommand("frontend", "serve the OpenAI API over the workers registered in the store");
  cmd->add_option("--store", f.store, "the state store: etcd://HOST:PORT or an SQLite file");
  cmd->add_option("--host", f.host, "address to listen on");
  cmd->add_option("--port", f.port, "port to listen on (0: any free port)")->check(CLI::Range(0, 65535));
  cmd->add_option("--http-threads", f.http_threads, "HTTP io threads")->check(CLI::Range(1, 64));
  cmd->add_option("--max-body-bytes", f.max_body_bytes, "largest request body; beyond: 413");
  cmd->add_option("--router-policy", f.router_policy, kRouterPolicyHelp);
  cmd->add_option("--kv-temperature", f.kv_temperature, "kv policy: 0 picks the cheapest; higher spreads near-ties")
      ->check(CLI::Range(0.0, 100.0));
  cmd->add_option("--ttft-threshold-ms", f.ttft_threshold_ms, "latency policy: an instance whose TTFT EWMA is over this rests")
      ->check(CLI::Range(1.0, 1e7));
  cmd->add_option("--itl-threshold-ms", f.itl_threshold_ms, "latency policy: likewise for the ITL EWMA")
      ->check(CLI::Range(0.1, 1e7));
  cmd->add_option("--worker-timeout-ms", f.worker_timeout_ms, "longest silence from a worker on a request")
      ->check(CLI::Range(1, 3'600'000));
  cmd->add_option("--admin-key", f.admin_key, kAdminKeyHelp);
  cmd->callback([] { std::exit(run_frontend(f)); });
}

}  // namespace turbine::cli
