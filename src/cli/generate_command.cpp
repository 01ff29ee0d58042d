// `turbine generate`: one prompt through the engine, no server. Streams text to stdout and
// prints prompt and generation rates to stderr.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <numeric>
#include <string>
#include <vector>

#include "backend/backend.h"
#include "cli/commands.h"
#include "engine/model_runner.h"
#include "engine/sampler.h"
#include "model/checkpoint.h"
#include "tokenizer/tokenizer.h"

namespace turbine::cli {
namespace {

struct GenerateFlags {
  std::string model;
  std::string prompt;
  int max_tokens = 128;
  int threads = 0;
  int prefill_chunk = 512;  // prompt tokens per forward call
  bool ignore_eos = false;
  bool no_bos = false;
  std::string kv_dtype = "f16";
  SamplingParams sampling;
  uint64_t seed = 0;
  bool has_seed = false;
};

int fail(const Status& s) {
  std::fprintf(stderr, "turbine: %s\n", s.message().c_str());
  return 1;
}

using Clock = std::chrono::steady_clock;
double seconds_since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

int run_generate(GenerateFlags f) {
  auto ckpt = load_checkpoint(f.model);
  if (!ckpt) return fail(ckpt.status());
  auto tokenizer = Tokenizer::from_checkpoint(**ckpt);
  if (!tokenizer) return fail(tokenizer.status());
  const Tokenizer& tok = **tokenizer;
  auto backend = make_cpu_backend({.num_threads = f.threads, .isa = "auto"});
  if (!backend) return fail(backend.status());

  std::vector<int32_t> prompt = tok.encode(f.prompt, !f.no_bos && tok.add_bos_default());
  if (prompt.empty()) return fail(invalid_argument("the prompt is empty"));
  const ModelConfig& config = (*ckpt)->config;
  const int64_t total = int64_t(prompt.size()) + f.max_tokens;
  if (total > config.context_length)
    return fail(invalid_argument("prompt (" + std::to_string(prompt.size()) + " tokens) plus " +
                                 std::to_string(f.max_tokens) + " new tokens exceeds the context of " +
                                 std::to_string(config.context_length)));

  ModelRunnerOptions options;
  auto kv_dtype = parse_kv_dtype(f.kv_dtype);
  if (!kv_dtype) return fail(kv_dtype.status());
  options.kv.dtype = *kv_dtype;
  options.max_context_tokens = total;
  auto runner = ModelRunner::create(*ckpt, **backend, options);
  if (!runner) return fail(runner.status());
  ModelRunner& r = **runner;

  // One sequence owning blocks 0..n-1 in order.
  std::vector<int32_t> block_table(static_cast<size_t>(r.num_kv_blocks()));
  std::iota(block_table.begin(), block_table.end(), 0);

  if (f.has_seed) f.sampling.seed = f.seed;
  SamplerState sampler_state(f.sampling, prompt);
  Sampler sampler;
  std::vector<float> logits(static_cast<size_t>(config.vocab_size));
  ForwardBatch batch;

  std::fprintf(stderr, "turbine: %s, %s, prompt %zu tokens\n", (*ckpt)->path.c_str(),
               (*backend)->name().c_str(), prompt.size());
  const auto t_prompt = Clock::now();
  for (size_t done = 0; done < prompt.size();) {
    const size_t n = std::min(prompt.size() - done, size_t(f.prefill_chunk));
    batch.clear();
    batch.add_sequence({prompt.begin() + long(done), prompt.begin() + long(done + n)}, int64_t(done),
                       block_table, r.block_size(), done + n == prompt.size());
    if (Status s = r.forward(batch, logits.data()); !s.is_ok()) return fail(s);
    done += n;
  }
  const double prompt_s = seconds_since(t_prompt);

  IncrementalDetokenizer detok(tok);
  std::fputs(f.prompt.c_str(), stdout);
  std::fflush(stdout);
  const auto t_gen = Clock::now();
  int generated = 0;
  int64_t pos = int64_t(prompt.size());
  for (; generated < f.max_tokens; ++generated) {
    const int32_t next = sampler.sample(logits.data(), config.vocab_size, sampler_state);
    sampler_state.accept(next);
    const auto& stops = tok.stop_ids();
    if (!f.ignore_eos && std::find(stops.begin(), stops.end(), next) != stops.end()) break;
    std::fputs(detok.push(next).c_str(), stdout);
    std::fflush(stdout);
    if (generated + 1 == f.max_tokens) { ++generated; break; }
    batch.clear();
    batch.add_sequence({next}, pos, block_table, r.block_size(), true);
    if (Status s = r.forward(batch, logits.data()); !s.is_ok()) return fail(s);
    ++pos;
  }
  std::fputs(detok.flush().c_str(), stdout);
  std::fputs("\n", stdout);
  std::fflush(stdout);  // the text ends before the rates appear on stderr
  const double gen_s = seconds_since(t_gen);
  std::fprintf(stderr, "prompt: %zu tokens in %.3f s, %.2f tokens/s\n", prompt.size(), prompt_s,
               double(prompt.size()) / prompt_s);
  std::fprintf(stderr, "generation: %d tokens in %.3f s, %.2f tokens/s\n", generated, gen_s,
               generated > 0 ? double(generated) / gen_s : 0.0);
  return 0;
}

}  // namespace

void add_generate_command(CLI::App& app) {
  static GenerateFlags f;
  auto* cmd = app.add_subcommand("generate", "run one prompt through the engine, no server");
  cmd->add_option("--model", f.model, "a .gguf file or a Hugging Face model directory")->required();
  cmd->add_option("--prompt", f.prompt, "prompt text")->required();
  cmd->add_option("--max-tokens", f.max_tokens, "tokens to generate")->check(CLI::Range(1, 1 << 20));
  cmd->add_option("--temperature", f.sampling.temperature, "0 for greedy")->check(CLI::Range(0.0, 100.0));
  cmd->add_option("--top-k", f.sampling.top_k, "0: off")->check(CLI::Range(0, 1 << 30));
  cmd->add_option("--top-p", f.sampling.top_p, "1: off")->check(CLI::Range(0.0, 1.0));
  cmd->add_option("--min-p", f.sampling.min_p, "0: off")->check(CLI::Range(0.0, 1.0));
  cmd->add_option("--repetition-penalty", f.sampling.repetition_penalty)->check(CLI::Range(0.01, 100.0));
  cmd->add_option("--presence-penalty", f.sampling.presence_penalty)->check(CLI::Range(-2.0, 2.0));
  cmd->add_option("--frequency-penalty", f.sampling.frequency_penalty)->check(CLI::Range(-2.0, 2.0));
  cmd->add_option("--seed", f.seed, "reproduce the same tokens")->each([](const std::string&) { f.has_seed = true; });
  cmd->add_option("--threads", f.threads, "0: one per core")->check(CLI::Range(0, 1024));
  cmd->add_option("--kv-dtype", f.kv_dtype, kKvDtypeHelp);
  cmd->add_flag("--ignore-eos", f.ignore_eos, "keep generating past end-of-sequence tokens");
  cmd->add_flag("--no-bos", f.no_bos, "do not prepend BOS");
  cmd->callback([] { std::exit(run_generate(f)); });
}

}  // namespace turbine::cli
