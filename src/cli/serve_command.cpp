// `turbine serve`: the OpenAI-compatible API over one engine per model, in one process. With no
// --model it serves the built-in demo model, so a fresh checkout has something to talk to.
// Runs until SIGINT or SIGTERM.
#include <csignal>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "cli/commands.h"
#include "frontend/openai_frontend.h"
#include "frontend/served_model.h"

namespace turbine::cli {
namespace {

struct ServeFlags {
  std::vector<std::string> models;
  std::vector<std::string> names;
  std::string host = "127.0.0.1";
  int port = 8000;
  int threads = 0;
  int http_threads = 1;
  std::string kv_dtype = "f16";
  int64_t kv_cache_bytes = 0;
  double kv_cache_memory_fraction = 0.25;
  int block_size = 16;
  bool no_prefix_caching = false;
  int64_t max_model_len = 0;
  int max_num_seqs = 64;
  int64_t max_num_batched_tokens = 512;
  int64_t max_prefill_chunk = 0;
  int max_waiting = 256;
  double target_itl_ms = 0.0;
  size_t max_body_bytes = 32u << 20;
};

int fail(const std::string& message) {
  std::fprintf(stderr, "turbine: %s\n", message.c_str());
  return 1;
}

int run_serve(ServeFlags f) {
  // Signals are taken by sigwait below, not by a handler: block them before any thread starts.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  if (f.models.empty()) {
    auto demo = ensure_demo_model();
    if (!demo) return fail("demo model: " + demo.status().message());
    f.models.push_back(*demo);
    if (f.names.empty()) f.names.push_back("demo");
  }
  if (!f.names.empty() && f.names.size() != f.models.size())
    return fail("give --served-model-name once per --model, or not at all");
  auto dtype = parse_kv_dtype(f.kv_dtype);
  if (!dtype) return fail(dtype.status().message());

  EngineOptions eo;
  eo.backend.num_threads = f.threads;
  eo.kv_dtype = *dtype;
  eo.kv_cache_bytes = f.kv_cache_bytes;
  // Several models share the memory budget.
  eo.kv_cache_memory_fraction = f.kv_cache_memory_fraction / double(f.models.size());
  eo.block_size = f.block_size;
  eo.prefix_caching = !f.no_prefix_caching;
  eo.max_model_len = f.max_model_len;
  eo.max_num_seqs = f.max_num_seqs;
  eo.max_num_batched_tokens = f.max_num_batched_tokens;
  eo.max_prefill_chunk = f.max_prefill_chunk;
  eo.max_waiting_requests = f.max_waiting;
  eo.target_itl_seconds = f.target_itl_ms / 1000.0;

  std::vector<std::unique_ptr<ServedModel>> models;
  std::vector<ServedModel*> raw;
  for (size_t i = 0; i < f.models.size(); ++i) {
    const std::string name = f.names.empty() ? default_model_name(f.models[i]) : f.names[i];
    for (const ServedModel* m : raw)
      if (m->name == name) return fail("two models are named '" + name + "': use --served-model-name");
    auto m = load_served_model(f.models[i], name, eo);
    if (!m) return fail(m.status().message());
    std::fprintf(stderr, "turbine: model %s from %s: %s, KV cache %lld blocks of %d tokens (%.1f MiB), context %lld\n",
                 name.c_str(), f.models[i].c_str(), (*m)->engine->backend_name().c_str(),
                 static_cast<long long>((*m)->engine->num_kv_blocks()), f.block_size,
                 double((*m)->engine->kv_cache_bytes()) / (1 << 20),
                 static_cast<long long>((*m)->max_model_len()));
    raw.push_back(m->get());
    models.push_back(std::move(*m));
  }

  FrontendOptions fo;
  fo.http.num_threads = f.http_threads;
  fo.http.max_body_bytes = f.max_body_bytes;
  OpenAiFrontend frontend(raw, fo);
  if (Status s = frontend.start(f.host, uint16_t(f.port)); !s.is_ok()) return fail(s.message());
  std::fprintf(stderr, "turbine: serving on http://%s:%u\n", f.host.c_str(), unsigned(frontend.port()));
  std::fflush(stderr);

  int sig = 0;
  sigwait(&signals, &sig);
  std::fprintf(stderr, "turbine: %s, stopping\n", sig == SIGINT ? "SIGINT" : "SIGTERM");
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
  cmd->add_option("--threads", f.threads, "compute threads per engine (0: one per core)")->check(CLI::Range(0, 1024));
  cmd->add_option("--http-threads", f.http_threads, "HTTP io threads")->check(CLI::Range(1, 64));
  cmd->add_option("--kv-dtype", f.kv_dtype, kKvDtypeHelp);
  cmd->add_option("--kv-cache-bytes", f.kv_cache_bytes, "KV cache size in bytes, per model (0: a fraction of free memory)")
      ->check(CLI::Range(int64_t(0), int64_t(1) << 50));
  cmd->add_option("--kv-cache-memory-fraction", f.kv_cache_memory_fraction,
                  "fraction of available memory for the KV caches, shared by the models")->check(CLI::Range(0.001, 0.95));
  cmd->add_option("--block-size", f.block_size, "tokens per KV block")->check(CLI::Range(1, 1024));
  cmd->add_flag("--no-prefix-caching", f.no_prefix_caching, "do not reuse cached prompt blocks");
  cmd->add_option("--max-model-len", f.max_model_len, "context length cap (0: the model's)")->check(CLI::Range(int64_t(0), int64_t(1) << 24));
  cmd->add_option("--max-num-seqs", f.max_num_seqs, "sequences running at once")->check(CLI::Range(1, 4096));
  cmd->add_option("--max-num-batched-tokens", f.max_num_batched_tokens, "token budget per engine step")
      ->check(CLI::Range(int64_t(1), int64_t(1) << 20));
  cmd->add_option("--max-prefill-chunk", f.max_prefill_chunk, "prompt tokens per sequence per step (0: the budget)")
      ->check(CLI::Range(int64_t(0), int64_t(1) << 20));
  cmd->add_option("--max-waiting", f.max_waiting, "requests waiting per model; beyond: 429")->check(CLI::Range(1, 1 << 20));
  cmd->add_option("--target-itl-ms", f.target_itl_ms, "target inter-token latency: steps sized to keep every stream under it")
      ->check(CLI::Range(0.0, 1e6));
  cmd->add_option("--max-body-bytes", f.max_body_bytes, "largest request body; beyond: 413");
  cmd->callback([] { std::exit(run_serve(f)); });
}

}  // namespace turbine::cli
