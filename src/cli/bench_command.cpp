// `turbine bench`: load at any OpenAI-compatible endpoint (turbine, vLLM, llama.cpp's server,
// ...) and the serving numbers that come out: TTFT, ITL, TPOT, end-to-end latency, throughput,
// goodput. `turbine bench --compare A.json B.json` sets two saved runs side by side.
#include <signal.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "http/async_client.h"
#include "http/client.h"
#include "loadgen/load_runner.h"
#include "loadgen/report.h"
#include "tokenizer/tokenizer.h"

namespace turbine::cli {
namespace {

using namespace loadgen;

struct BenchFlags {
  std::string base_url;
  std::string model;
  std::string api_key;
  std::string endpoint = "chat";
  std::string request_rate = "0";
  double burstiness = 1.0;
  int64_t concurrency = 0;
  int64_t num_requests = 100;  // the default unless --duration is given alone
  bool num_requests_given = false;
  double duration_s = 0;
  int64_t warmup = 0;
  uint64_t seed = 0;
  double timeout_s = 300;
  std::string workload = "random";
  std::string input_len = "256";
  std::string output_len = "128";
  int64_t prefix_groups = 4;
  int64_t prefix_len = 512;
  int64_t turns = 4;
  std::string think_time_ms = "0";
  std::string dataset;
  double trace_speed = 1.0;
  int64_t trace_block_tokens = 512;
  std::string tokenizer;
  bool no_exact_output_len = false;
  std::string extra_body;
  std::string slo;
  std::string output;
  bool output_requests = false;
  bool no_progress = false;
  std::string label;
  std::vector<std::string> compare;
  std::vector<std::string> argv;  // the whole command line, kept in --output
};

// Ctrl-C: the first stops issuing requests and lets those in flight finish, so the run still
// reports what it measured; the second quits at once.
std::atomic<bool> g_interrupted{false};

extern "C" void on_interrupt(int) {
  if (g_interrupted.exchange(true)) _exit(130);
  static constexpr char kMessage[] =
      "\nturbine bench: interrupted: waiting for the requests in flight (Ctrl-C again to quit)\n";
  ssize_t ignored = write(STDERR_FILENO, kMessage, sizeof kMessage - 1);
  (void)ignored;
}

int fail(const std::string& message) {
  std::fprintf(stderr, "turbine bench: %s\n", message.c_str());
  return 1;
}

// The API root ending in /v1: base_url may or may not end in /v1 (both spellings are common
// in client configs).
std::string api_base(std::string base) {
  while (!base.empty() && base.back() == '/') base.pop_back();
  if (base.size() < 3 || base.compare(base.size() - 3, 3, "/v1") != 0) base += "/v1";
  return base;
}

std::string endpoint_url(const std::string& base_url, Endpoint endpoint) {
  return api_base(base_url) + (endpoint == Endpoint::kChat ? "/chat/completions" : "/completions");
}

// The first model the server lists, for a run without --model.
Result<std::string> first_served_model(const std::string& base_url, const http::Headers& headers) {
  const std::string base = api_base(base_url);
  TB_ASSIGN_OR_RETURN(auto response, http::fetch({.url = base + "/models", .headers = headers,
                                                   .timeout = std::chrono::seconds(30)}));
  if (response.status != 200)
    return invalid_argument("GET " + base + "/models answered " + std::to_string(response.status) +
                            ": " + error_message_of(response.body) + " (give --model)");
  auto j = nlohmann::json::parse(response.body, nullptr, false);
  if (j.is_discarded() || !j.contains("data") || !j["data"].is_array() || j["data"].empty() ||
      !j["data"][0].contains("id") || !j["data"][0]["id"].is_string()) {
    return invalid_argument("GET " + base + "/models listed no model (give --model)");
  }
  return j["data"][0]["id"].get<std::string>();
}

Result<double> parse_rate(const std::string& s) {
  if (s == "inf") return INFINITY;
  char* end = nullptr;
  const double v = std::strtod(s.c_str(), &end);
  if (end == s.c_str() || *end != '\0' || !(v >= 0) || !std::isfinite(v))
    return invalid_argument("--request-rate '" + s + "': expected requests per second, or inf");
  return v;
}

int terminal_width() {
  winsize ws{};
  return ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0 ? ws.ws_col : 100;
}

// The command line with the API key's value replaced: --output files are meant to be shared.
std::vector<std::string> redacted_command(std::vector<std::string> argv) {
  for (size_t i = 0; i < argv.size(); ++i) {
    if (argv[i] == "--api-key" && i + 1 < argv.size()) {
      argv[++i] = "REDACTED";
    } else if (argv[i].rfind("--api-key=", 0) == 0) {
      argv[i] = "--api-key=REDACTED";
    }
  }
  return argv;
}

nlohmann::ordered_json settings_json(const BenchFlags& f, const LoadOptions& load,
                                     const WorkloadOptions& w, const Slo& slo) {
  nlohmann::ordered_json s;
  s["label"] = f.label;
  s["command"] = redacted_command(f.argv);
  s["url"] = load.url;
  s["model"] = load.shape.model;
  s["endpoint"] = f.endpoint;
  s["request_rate"] = f.request_rate;
  s["burstiness"] = load.burstiness;
  s["concurrency"] = load.concurrency;
  s["num_requests"] = load.num_requests;
  s["duration_s"] = load.duration_s;
  s["warmup"] = f.warmup;
  s["seed"] = f.seed;
  s["timeout_s"] = f.timeout_s;
  s["workload"] = w.kind;
  s["input_len"] = w.input_len.spec();
  s["output_len"] = w.output_len.spec();
  if (w.kind == "shared-prefix") {
    s["prefix_groups"] = w.prefix_groups;
    s["prefix_len"] = w.prefix_len;
  }
  if (w.kind == "multi-turn") {
    s["turns"] = w.turns;
    s["think_time_ms"] = w.think_time_ms.spec();
  }
  if (!w.dataset_path.empty()) s["dataset"] = w.dataset_path;
  if (w.kind == "trace") {
    s["trace_speed"] = w.trace_speed;
    s["trace_block_tokens"] = w.trace_block_tokens;
  }
  s["tokenizer"] = f.tokenizer;
  s["exact_output_len"] = load.shape.exact_output_len;
  s["extra_body"] = load.shape.extra_body;
  s["slo"] = slo.spec();
  return s;
}

std::string describe_load(const LoadOptions& load, const WorkloadOptions& w, bool trace) {
  std::string out;
  char buf[160];
  if (trace) {
    std::snprintf(buf, sizeof buf, "trace replay at %gx", w.trace_speed);
  } else if (load.request_rate > 0) {
    std::snprintf(buf, sizeof buf, "open loop, %g req/s (burstiness %g)%s", load.request_rate,
                  load.burstiness, load.concurrency > 0 ? ", capped" : "");
  } else {
    std::snprintf(buf, sizeof buf, "closed loop, %lld users", (long long)load.concurrency);
  }
  out = buf;
  if (load.concurrency > 0 && (load.request_rate > 0 || trace))
    out += " at " + std::to_string(load.concurrency) + " in flight";
  if (load.num_requests > 0) out += "; " + std::to_string(load.num_requests) + " requests";
  if (load.duration_s > 0) {
    std::snprintf(buf, sizeof buf, "; for %g s", load.duration_s);
    out += buf;
  }
  out += "; workload " + w.kind;
  if (w.kind == "random" || w.kind == "shared-prefix" || w.kind == "multi-turn")
    out += " (input " + w.input_len.spec() + ", output " + w.output_len.spec() + " tokens)";
  return out;
}

int run_compare(const BenchFlags& f) {
  auto a = read_run_document(f.compare[0]);
  if (!a) return fail(a.status().message());
  auto b = read_run_document(f.compare[1]);
  if (!b) return fail(b.status().message());
  auto name = [](const nlohmann::json& doc, const std::string& path) {
    const std::string label = doc["settings"].value("label", std::string());
    return label.empty() ? path : label + " (" + path + ")";
  };
  std::fputs(format_comparison(*a, name(*a, f.compare[0]), *b, name(*b, f.compare[1])).c_str(), stdout);
  return 0;
}

int run_bench(BenchFlags f) {
  if (!f.compare.empty()) return run_compare(f);
  if (f.base_url.empty()) return fail("give --base-url (e.g. http://127.0.0.1:8000), or --compare A.json B.json");
  if (f.api_key.empty()) {
    if (const char* key = std::getenv("OPENAI_API_KEY")) f.api_key = key;
  }
  http::Headers headers;
  if (!f.api_key.empty()) headers.emplace_back("authorization", "Bearer " + f.api_key);

  LoadOptions load;
  if (f.endpoint != "chat" && f.endpoint != "completions") return fail("--endpoint must be chat or completions");
  load.shape.endpoint = f.endpoint == "chat" ? Endpoint::kChat : Endpoint::kCompletions;
  load.url = endpoint_url(f.base_url, load.shape.endpoint);
  if (auto url = http::parse_url(load.url); !url) return fail("--base-url: " + url.status().message());
  load.headers = headers;
  load.shape.exact_output_len = !f.no_exact_output_len;
  if (!f.extra_body.empty()) {
    load.shape.extra_body = nlohmann::json::parse(f.extra_body, nullptr, false);
    if (!load.shape.extra_body.is_object()) return fail("--extra-body must be a JSON object");
  }
  auto rate = parse_rate(f.request_rate);
  if (!rate) return fail(rate.status().message());
  load.request_rate = *rate == INFINITY ? 1e12 : *rate;  // inf: everything arrives at once
  if (!(f.burstiness > 0)) return fail("--burstiness must be above 0");
  load.burstiness = f.burstiness;
  load.concurrency = f.concurrency;
  const bool trace = f.workload == "trace";
  // A trace brings its own arrivals and length: no default user count or request count, so
  // it is replayed whole and unthrottled unless --concurrency or --num-requests says otherwise.
  if (load.request_rate == 0 && load.concurrency == 0 && !trace) load.concurrency = 1;
  load.num_requests = (f.duration_s > 0 || trace) && !f.num_requests_given ? 0 : f.num_requests;
  load.duration_s = f.duration_s;
  if (load.num_requests == 0 && load.duration_s == 0 && !trace)
    return fail("give --num-requests or --duration");
  if (*rate == INFINITY && load.num_requests == 0)
    return fail("--request-rate inf sends every request at once: give --num-requests");
  load.timeout = std::chrono::milliseconds(int64_t(f.timeout_s * 1000));
  load.seed = f.seed;
  auto slo = parse_slo(f.slo.empty() ? std::string_view() : f.slo);
  if (!f.slo.empty() && !slo) return fail(slo.status().message());
  Slo objectives = f.slo.empty() ? Slo{} : *slo;

  WorkloadOptions w;
  w.kind = f.workload;
  auto input_len = Distribution::parse(f.input_len, "--input-len");
  if (!input_len) return fail(input_len.status().message());
  auto output_len = Distribution::parse(f.output_len, "--output-len");
  if (!output_len) return fail(output_len.status().message());
  auto think = Distribution::parse(f.think_time_ms, "--think-time-ms", 0);
  if (!think) return fail(think.status().message());
  w.input_len = *input_len;
  w.output_len = *output_len;
  w.think_time_ms = *think;
  w.prefix_groups = f.prefix_groups;
  w.prefix_len = f.prefix_len;
  w.turns = f.turns;
  w.dataset_path = f.dataset;
  w.trace_speed = f.trace_speed;
  w.trace_block_tokens = f.trace_block_tokens;

  std::shared_ptr<const Tokenizer> tokenizer;
  if (!f.tokenizer.empty()) {
    auto loaded = TextSynthesizer::load_tokenizer(f.tokenizer);
    if (!loaded) return fail("--tokenizer: " + loaded.status().message());
    tokenizer = *loaded;
  }
  auto text = std::make_shared<const TextSynthesizer>(tokenizer);
  load.text = text.get();
  auto workload = Workload::create(w, text, f.seed);
  if (!workload) return fail(workload.status().message());

  if (f.model.empty()) {
    auto model = first_served_model(f.base_url, headers);
    if (!model) return fail(model.status().message());
    f.model = *model;
  }
  load.shape.model = f.model;
  std::fprintf(stderr, "turbine bench: %s, model %s\n  %s\n", load.url.c_str(), f.model.c_str(),
               describe_load(load, w, trace).c_str());

  struct sigaction action {};
  action.sa_handler = on_interrupt;
  sigemptyset(&action.sa_mask);
  sigaction(SIGINT, &action, nullptr);
  load.interrupted = &g_interrupted;

  http::AsyncClient client;
  if (f.warmup > 0) {
    WorkloadOptions warm = w;
    if (warm.kind == "trace") warm.kind = "jsonl";  // the trace's first lines, not its times
    auto warm_workload = Workload::create(warm, text, f.seed, /*stream=*/1);
    if (!warm_workload) return fail(warm_workload.status().message());
    LoadOptions warm_load = load;
    warm_load.request_rate = 0;
    warm_load.duration_s = 0;
    warm_load.num_requests = f.warmup;
    warm_load.concurrency = std::clamp<int64_t>(load.concurrency, 1, f.warmup);
    LoadResult warm_result = run_load(warm_load, **warm_workload, client);
    int64_t failed = 0;
    const RequestRecord* example = nullptr;
    for (const auto& r : warm_result.records) {
      if (!r.ok()) {
        ++failed;
        example = &r;
      }
    }
    std::fprintf(stderr, "  warm-up: %lld requests, %lld failed\n", (long long)warm_result.records.size(), (long long)failed);
    if (g_interrupted.load()) return fail("interrupted during the warm-up");
    if (example != nullptr && failed == int64_t(warm_result.records.size()))
      return fail("every warm-up request failed: " + example->error_kind + ": " + example->error_message);
  }

  const bool show_progress = !f.no_progress && isatty(STDERR_FILENO);
  if (show_progress) {
    const int width = terminal_width();
    load.on_progress = [&](const LoadProgress& p) {
      std::fprintf(stderr, "\r%s\x1b[K",
                   format_progress_line(p.elapsed_s, p.num_done, p.num_failed, p.num_in_flight,
                                        p.output_tokens, load.num_requests, load.duration_s, width).c_str());
      std::fflush(stderr);
    };
  }
  LoadResult result = run_load(load, **workload, client);
  if (show_progress) std::fputc('\n', stderr);

  RunSummary summary = summarize_run(result.records, objectives, result.cost);
  std::fputs(format_summary_table(summary, objectives.spec()).c_str(), stdout);
  std::fflush(stdout);
  const bool interrupted = g_interrupted.load();
  if (!f.output.empty()) {
    auto settings = settings_json(f, load, w, objectives);
    settings["interrupted"] = interrupted;  // cut short by Ctrl-C: not the run the flags describe
    auto doc = run_document(settings, summary, f.output_requests ? &result.records : nullptr);
    std::ofstream out(f.output);
    out << doc.dump(2) << "\n";
    if (!out) return fail(f.output + ": cannot write");
  }
  if (summary.num_succeeded == 0) return fail("no request succeeded");
  return interrupted ? 130 : 0;
}

}  // namespace

void add_bench_command(CLI::App& app, std::vector<std::string> command_line) {
  static BenchFlags f;
  f.argv = std::move(command_line);
  auto* cmd = app.add_subcommand("bench", "serving benchmark against any OpenAI-compatible endpoint");
  cmd->add_option("--base-url", f.base_url, "the server, e.g. http://127.0.0.1:8000 (with or without /v1)");
  cmd->add_option("--model", f.model, "model name to request (default: the first in /v1/models)");
  cmd->add_option("--api-key", f.api_key, "sent as a bearer token (default: $OPENAI_API_KEY)");
  cmd->add_option("--endpoint", f.endpoint, "chat (/v1/chat/completions) or completions (/v1/completions)");
  cmd->add_option("--request-rate", f.request_rate, "open loop: sessions per second, or inf (0: closed loop)");
  cmd->add_option("--burstiness", f.burstiness, "gamma shape of arrival gaps: 1 Poisson, <1 burstier, >1 steadier");
  cmd->add_option("--concurrency", f.concurrency, "closed loop: users; with --request-rate: most requests in flight")
      ->check(CLI::Range(int64_t(0), int64_t(1) << 20));
  cmd->add_option("--num-requests", f.num_requests, "requests to measure (default 100; none with --duration or a trace)")
      ->check(CLI::Range(int64_t(0), int64_t(1) << 40))
      ->each([](const std::string&) { f.num_requests_given = true; });
  cmd->add_option("--duration", f.duration_s, "seconds to issue requests for (0: until --num-requests)")
      ->check(CLI::Range(0.0, 1e9));
  cmd->add_option("--warmup", f.warmup, "requests sent first and not counted")->check(CLI::Range(int64_t(0), int64_t(1) << 30));
  cmd->add_option("--seed", f.seed, "seed of prompts, lengths and arrivals");
  cmd->add_option("--timeout", f.timeout_s, "seconds of silence after which a request fails")->check(CLI::Range(0.001, 1e7));
  cmd->add_option("--workload", f.workload, std::string("one of ") + kWorkloadKinds);
  cmd->add_option("--input-len", f.input_len, "tokens per user turn: N, uniform:LO:HI, normal:MEAN:STD, lognormal:MEAN:STD");
  cmd->add_option("--output-len", f.output_len, "max_tokens per turn, same forms as --input-len");
  cmd->add_option("--prefix-groups", f.prefix_groups, "shared-prefix: groups with their own system prompt");
  cmd->add_option("--prefix-len", f.prefix_len, "shared-prefix: tokens of each group's system prompt");
  cmd->add_option("--turns", f.turns, "multi-turn: turns per session");
  cmd->add_option("--think-time-ms", f.think_time_ms, "multi-turn: pause before each later turn, same forms as --input-len");
  cmd->add_option("--dataset", f.dataset, "jsonl / trace: the file (one JSON object per line)");
  cmd->add_option("--trace-speed", f.trace_speed, "trace: replay speed (2: twice as fast)");
  cmd->add_option("--trace-block-tokens", f.trace_block_tokens, "trace: tokens per hash id")->check(CLI::Range(int64_t(1), int64_t(1) << 20));
  cmd->add_option("--tokenizer", f.tokenizer, "the model's tokenizer (tokenizer.json, its directory, or a .gguf) for exact prompt lengths");
  cmd->add_flag("--no-exact-output-len", f.no_exact_output_len, "do not send min_tokens and ignore_eos");
  cmd->add_option("--extra-body", f.extra_body, "JSON object merged into every request body, e.g. '{\"temperature\":0}'");
  cmd->add_option("--slo", f.slo, "goodput objectives, e.g. ttft_ms=500,itl_ms=50 (also tpot_ms, max_itl_ms, e2e_ms)");
  cmd->add_option("--output", f.output, "write the settings and results as JSON");
  cmd->add_flag("--output-requests", f.output_requests, "with --output: every request's record too");
  cmd->add_flag("--no-progress", f.no_progress, "no progress bar");
  cmd->add_option("--label", f.label, "a name for this run in --output and --compare");
  cmd->add_option("--compare", f.compare, "print two --output files side by side: A.json B.json")->expected(2);
  cmd->callback([] { std::exit(run_bench(f)); });
}

}  // namespace turbine::cli
