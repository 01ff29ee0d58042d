// Serving speed of the Engine (continuous batching, paged KV, prefix cache), measured on a
// checkpoint in this process with no HTTP in the way:
//   * batched generation: N streams, each a distinct 128-token prompt and 128 generated tokens,
//     all submitted at once; aggregate generation tokens/s once every stream has its first token
//     (as llama.cpp's batched-bench reports its "S_TG"), and end to end;
//   * time to first token for a request whose 2,000-token prefix is cached, against cold.
//
//   build/serving_bench --model models/bench/llama3-q8_0.gguf [--streams 1,2,4,...] [--threads 2]
#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <mutex>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "engine/engine.h"

namespace turbine {
namespace {

using Clock = std::chrono::steady_clock;
double seconds(Clock::time_point a, Clock::time_point b) { return std::chrono::duration<double>(b - a).count(); }

std::vector<int32_t> prompt(int64_t n, int64_t salt, int64_t vocab) {
  std::vector<int32_t> ids;
  for (int64_t i = 0; i < n; ++i) ids.push_back(int32_t((i * 7919 + salt * 104729 + 13) % (vocab - 1000) + 500));
  return ids;
}

struct Tracker {
  std::mutex mu;
  std::condition_variable cv;
  int finished = 0, first_tokens = 0;
  Clock::time_point last_first_token;
  std::vector<Clock::time_point> first_token_at;
  std::vector<Clock::time_point> token_at;  // every generated token's arrival
  OutputSink sink(size_t i) {
    return [this, i](RequestOutput&& o) {
      std::lock_guard<std::mutex> lk(mu);
      const auto now = Clock::now();
      for (size_t k = 0; k < o.tokens.size(); ++k) token_at.push_back(now);
      if (!o.tokens.empty() && first_token_at[i] == Clock::time_point{}) {
        first_token_at[i] = Clock::now();
        ++first_tokens;
        last_first_token = first_token_at[i];
      }
      if (o.finish_reason != FinishReason::kNone) ++finished;
      cv.notify_all();
    };
  }
  void wait(int n) {
    std::unique_lock<std::mutex> lk(mu);
    cv.wait(lk, [&] { return finished >= n; });
  }
};

GenerationParams fixed_length(int64_t n) {
  GenerationParams p;
  p.sampling.temperature = 0.0f;
  p.max_tokens = n;
  p.ignore_eos = true;
  return p;
}

void batched_generation(Engine& e, const std::vector<int>& streams, int64_t prompt_len, int64_t gen_len) {
  std::printf("streams  gen_tok/s  e2e_tok/s  prefill_s  gen_s  tok/step\n");
  for (int n : streams) {
    Tracker t;
    t.first_token_at.resize(size_t(n));
    const int64_t steps0 = e.stats().num_steps.load();
    const auto start = Clock::now();
    for (int i = 0; i < n; ++i)
      if (!e.submit({prompt(prompt_len, 1000 * n + i, e.config().vocab_size), fixed_length(gen_len), t.sink(size_t(i))}))
        std::printf("submit failed\n");
    t.wait(n);
    const auto end = Clock::now();
    const double gen_s = seconds(t.last_first_token, end);
    // Tokens generated after every stream had its first: the steady batched-decode window.
    int64_t tokens_in_window = 0;
    for (const auto& at : t.token_at) tokens_in_window += at > t.last_first_token;
    const int64_t steps = e.stats().num_steps.load() - steps0;
    std::printf("%7d  %9.2f  %9.2f  %9.2f  %5.2f  %9.1f\n", n, double(tokens_in_window) / gen_s,
                double(n * gen_len) / seconds(start, end), seconds(start, t.last_first_token), gen_s,
                double(n * (prompt_len + gen_len)) / double(std::max<int64_t>(steps, 1)));
    std::fflush(stdout);
  }
}

double ttft(Engine& e, const std::vector<int32_t>& p) {
  Tracker t;
  t.first_token_at.resize(1);
  const auto start = Clock::now();
  (void)e.submit({p, fixed_length(1), t.sink(0)});
  t.wait(1);
  return seconds(start, t.first_token_at[0]);
}

void cached_prefix_ttft(Engine& e, int reps) {
  const int64_t vocab = e.config().vocab_size;
  std::printf("\nTTFT, 2000-token shared prefix + 16-token question (median of %d)\n", reps);
  std::vector<double> cold, warm;
  for (int r = 0; r < reps; ++r) {
    auto prefix = prompt(2000, 77 + r, vocab);
    auto q1 = prefix, q2 = prefix;
    auto s1 = prompt(16, 5000 + r, vocab), s2 = prompt(16, 6000 + r, vocab);
    q1.insert(q1.end(), s1.begin(), s1.end());
    q2.insert(q2.end(), s2.begin(), s2.end());
    cold.push_back(ttft(e, q1));  // computes the prefix and caches its blocks
    warm.push_back(ttft(e, q2));  // finds the prefix; computes the question only
  }
  std::sort(cold.begin(), cold.end());
  std::sort(warm.begin(), warm.end());
  const double c = cold[cold.size() / 2], w = warm[warm.size() / 2];
  std::printf("cold %.3f s, cached %.3f s, ratio %.1fx\n", c, w, c / w);
}

}  // namespace
}  // namespace turbine

int main(int argc, char** argv) {
  using namespace turbine;
  CLI::App app{"serving_bench: batched generation and cached-prefix TTFT on the engine"};
  std::string model;
  std::vector<int> streams{1, 2, 4, 8, 16, 32, 64};
  int threads = 0, reps = 3;
  int64_t budget = 512;
  app.add_option("--model", model)->required();
  app.add_option("--streams", streams)->delimiter(',');
  app.add_option("--threads", threads);
  app.add_option("--reps", reps);
  app.add_option("--max-num-batched-tokens", budget);
  CLI11_PARSE(app, argc, argv);
  auto ckpt = load_checkpoint(model);
  if (!ckpt) return std::fprintf(stderr, "%s\n", ckpt.status().message().c_str()), 1;
  EngineOptions o;
  o.backend.num_threads = threads;
  o.max_num_seqs = 64;
  o.max_num_batched_tokens = budget;
  o.kv_cache_bytes = int64_t(2) << 30;
  o.max_model_len = 4096;
  auto e = Engine::create(*ckpt, o);
  if (!e) return std::fprintf(stderr, "%s\n", e.status().message().c_str()), 1;
  std::printf("model %s, %s, budget %lld tokens/step\n", model.c_str(), (*e)->backend_name().c_str(),
              static_cast<long long>(budget));
  batched_generation(**e, streams, 128, 128);
  cached_prefix_ttft(**e, reps);
  return 0;
}
