// Engine throughput on one checkpoint, without a server: prompt processing (one sequence of
// --prompt tokens in one forward call, like llama-bench's pp512) and generation at batch 1
// (--gen tokens decoded one at a time after a short prompt, like tg128). Token ids are random,
// so any checkpoint works. Prints one line per measurement and the median of --reps runs.
//
//   build/engine_bench --model M.gguf --threads 2 --prompt 512 --gen 128 --reps 3
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <numeric>
#include <random>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "backend/backend.h"
#include "engine/model_runner.h"
#include "model/checkpoint.h"

using namespace turbine;
using Clock = std::chrono::steady_clock;

namespace {

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

// Bytes of weights one decode step reads: every matrix once, plus one embedding row.
int64_t weight_bytes_per_token(const ModelWeights& w) {
  int64_t bytes = w.token_embedding.row_stride_bytes() + w.output.num_bytes();
  for (const auto& l : w.layers)
    for (const MatrixView* m : {&l.wq, &l.wk, &l.wv, &l.wo, &l.w_gate, &l.w_up, &l.w_down})
      bytes += m->num_bytes();
  return bytes;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"turbine engine benchmark: prompt and generation tokens/s"};
  std::string model;
  int threads = 0, prompt_len = 512, gen_len = 128, reps = 3;
  std::string isa = "auto";
  app.add_option("--model", model)->required();
  app.add_option("--threads", threads);
  app.add_option("--prompt", prompt_len);
  app.add_option("--gen", gen_len);
  app.add_option("--reps", reps);
  app.add_option("--isa", isa);
  CLI11_PARSE(app, argc, argv);

  auto ckpt = load_checkpoint(model);
  if (!ckpt) { std::fprintf(stderr, "%s\n", ckpt.status().message().c_str()); return 1; }
  auto backend = make_cpu_backend({.num_threads = threads, .isa = isa});
  if (!backend) { std::fprintf(stderr, "%s\n", backend.status().message().c_str()); return 1; }
  ModelRunnerOptions options;
  options.max_context_tokens = prompt_len + gen_len + 16;
  auto runner = ModelRunner::create(*ckpt, **backend, options);
  if (!runner) { std::fprintf(stderr, "%s\n", runner.status().message().c_str()); return 1; }
  ModelRunner& r = **runner;
  const int64_t vocab = r.config().vocab_size;

  std::vector<int32_t> table(static_cast<size_t>(r.num_kv_blocks()));
  std::iota(table.begin(), table.end(), 0);
  std::mt19937 rng(42);
  std::uniform_int_distribution<int32_t> token(0, int32_t(vocab - 1));
  std::vector<float> logits(static_cast<size_t>(vocab));
  ForwardBatch batch;

  auto run_prompt = [&](int n) {
    std::vector<int32_t> ids(static_cast<size_t>(n));
    for (auto& t : ids) t = token(rng);
    batch.clear();
    batch.add_sequence(ids, 0, table, r.block_size(), true);
    const auto t0 = Clock::now();
    TB_CHECK(r.forward(batch, logits.data()).is_ok());
    return std::chrono::duration<double>(Clock::now() - t0).count();
  };

  std::printf("model %s | %s | weights read per token %.1f MB\n", model.c_str(),
              (*backend)->name().c_str(), double(weight_bytes_per_token((*ckpt)->weights)) / 1e6);
  run_prompt(16);  // warm-up: page the weights in
  std::vector<double> pp, tg;
  for (int rep = 0; rep < reps; ++rep) {
    const double s = run_prompt(prompt_len);
    pp.push_back(prompt_len / s);
    std::printf("pp%d rep %d: %.2f tok/s\n", prompt_len, rep, pp.back());

    run_prompt(8);  // a short context to decode after
    const auto t0 = Clock::now();
    for (int i = 0; i < gen_len; ++i) {
      batch.clear();
      batch.add_sequence({token(rng)}, 8 + i, table, r.block_size(), true);
      TB_CHECK(r.forward(batch, logits.data()).is_ok());
    }
    const double g = std::chrono::duration<double>(Clock::now() - t0).count();
    tg.push_back(gen_len / g);
    std::printf("tg%d rep %d: %.2f tok/s\n", gen_len, rep, tg.back());
    std::fflush(stdout);
  }
  const double bytes = double(weight_bytes_per_token((*ckpt)->weights));
  std::printf("median: pp%d %.2f tok/s | tg%d %.2f tok/s | weight read rate %.1f GB/s\n", prompt_len,
              median(pp), gen_len, median(tg), median(tg) * bytes / 1e9);
  return 0;
}
