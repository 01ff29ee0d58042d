// The Engine end to end on a small real checkpoint: its tokens equal a plain single-sequence
// loop over ModelRunner, alone or among other requests; prefix hits, forks, preemption,
// cancellation, the bounded queue, chunked prompts and logprobs behave as their books say.
#include <gtest/gtest.h>

#include <condition_variable>
#include <map>
#include <mutex>
#include <numeric>

#include "engine/engine.h"
#include "tests/engine/engine_test_util.h"

namespace turbine::testing {
namespace {

// Collects a request's outputs (from the engine thread) for the test thread.
struct Collector {
  std::mutex mu;
  std::condition_variable cv;
  std::map<int32_t, std::vector<int32_t>> tokens;  // choice -> tokens
  std::map<int32_t, FinishReason> finished;
  std::vector<RequestOutput> outputs;
  int32_t n = 1;

  OutputSink sink() {
    return [this](RequestOutput&& o) {
      std::lock_guard<std::mutex> lk(mu);
      for (const auto& t : o.tokens) tokens[o.index].push_back(t.token);
      if (o.finish_reason != FinishReason::kNone) finished[o.index] = o.finish_reason;
      outputs.push_back(std::move(o));
      cv.notify_all();
    };
  }
  bool done() { return int32_t(finished.size()) == n || (!finished.empty() && finished.begin()->second == FinishReason::kAbort); }
  void wait() {
    std::unique_lock<std::mutex> lk(mu);
    ASSERT_TRUE(cv.wait_for(lk, std::chrono::seconds(120), [&] { return done(); })) << "request did not finish";
  }
  void wait_tokens(int32_t count) {
    std::unique_lock<std::mutex> lk(mu);
    cv.wait_for(lk, std::chrono::seconds(120), [&] { return int32_t(tokens[0].size()) >= count || done(); });
  }
};

std::vector<int32_t> prompt_ids(int n, int salt) {
  std::vector<int32_t> ids;
  for (int i = 0; i < n; ++i) ids.push_back(int32_t((i * 7919 + salt * 104729 + 11) % 120000 + 10));
  return ids;
}

std::shared_ptr<const Checkpoint> test_checkpoint(const std::string& dtype = "q8_0") {
  static std::map<std::string, std::shared_ptr<const Checkpoint>> cache;
  auto& ckpt = cache[dtype];
  if (!ckpt) {
    auto c = load_checkpoint(make_test_model("llama3", "gguf", dtype));
    EXPECT_TRUE(c.is_ok()) << c.status().message();
    if (c.is_ok()) ckpt = *c;
  }
  return ckpt;
}

EngineOptions small_options() {
  EngineOptions o;
  o.backend.num_threads = 2;
  o.kv_cache_bytes = int64_t(1024) * 16 * 512;  // 512 blocks of 16 tokens at 1 KiB per token (f16)
  o.max_num_batched_tokens = 256;
  return o;
}

GenerationParams greedy(int64_t max_tokens) {
  GenerationParams p;
  p.sampling.temperature = 0.0f;
  p.max_tokens = max_tokens;
  p.ignore_eos = true;
  return p;
}

std::unique_ptr<Engine> make_engine(const EngineOptions& o, const std::string& dtype = "q8_0") {
  auto e = Engine::create(test_checkpoint(dtype), o);
  EXPECT_TRUE(e.is_ok()) << e.status().message();
  return e.is_ok() ? std::move(*e) : nullptr;
}

// Greedy tokens from a plain loop: one sequence, the whole prompt in one forward call, then one
// decode step per token, over ModelRunner directly.
std::vector<int32_t> reference_greedy(const std::vector<int32_t>& prompt, int64_t max_tokens) {
  auto ckpt = test_checkpoint();
  auto backend = make_cpu_backend({.num_threads = 2});
  ModelRunnerOptions ro;
  ro.kv = {.num_blocks = 64, .block_size = 16, .dtype = DType::kF16};
  auto runner = ModelRunner::create(ckpt, **backend, ro);
  std::vector<int32_t> table(64);
  std::iota(table.begin(), table.end(), 0);
  std::vector<float> logits(size_t(ckpt->config.vocab_size));
  ForwardBatch b;
  b.add_sequence(prompt, 0, table, 16, true);
  EXPECT_TRUE((*runner)->forward(b, logits.data()).is_ok());
  std::vector<int32_t> out;
  for (int64_t i = 0; i < max_tokens; ++i) {
    const int32_t t = int32_t(std::max_element(logits.begin(), logits.end()) - logits.begin());
    out.push_back(t);
    b.clear();
    b.add_sequence({t}, int64_t(prompt.size()) + i, table, 16, true);
    EXPECT_TRUE((*runner)->forward(b, logits.data()).is_ok());
  }
  return out;
}

std::vector<int32_t> run_alone(Engine& e, const std::vector<int32_t>& prompt, GenerationParams p,
                               std::vector<float>* top2_margins = nullptr) {
  Collector c;
  c.n = p.n;
  if (top2_margins) p.logprobs = 2;
  auto id = e.submit({prompt, p, c.sink()});
  EXPECT_TRUE(id.is_ok()) << id.status().message();
  c.wait();
  if (top2_margins)
    for (const auto& o : c.outputs)
      for (const auto& t : o.tokens) top2_margins->push_back(t.top[0].second - t.top[1].second);
  return c.tokens[0];
}

// Greedy tokens agree up to the first step whose two best logits were closer than `tolerance`
// (a near-tie that a last-bit difference in the kernels' summation order may flip); after it
// the sequences may part. Returns how many tokens were compared.
size_t expect_same_greedy_tokens(const std::vector<int32_t>& got, const std::vector<int32_t>& alone,
                                 const std::vector<float>& margins, float tolerance) {
  EXPECT_EQ(got.size(), alone.size());
  size_t i = 0;
  for (; i < std::min(got.size(), alone.size()); ++i) {
    EXPECT_EQ(got[i], alone[i]) << "token " << i << " (margin " << margins[i] << ")";
    if (got[i] != alone[i] || margins[i] < tolerance) break;
  }
  return i;
}

TEST(Engine, GreedyTokensEqualAPlainLoopOverTheRunner) {
  auto e = make_engine(small_options());
  const auto prompt = prompt_ids(37, 1);
  EXPECT_EQ(run_alone(*e, prompt, greedy(12)), reference_greedy(prompt, 12));
}

// Batch invariance. The batched matmul kernels sum in another order than the single-row ones,
// so a row's logits alone and in a batch differ in the last bits (max |diff| ~1e-6 measured on
// these models). With float weights that is all; with Q8_0 weights the activations are rounded
// to int8 before each matmul, and a last-bit difference that crosses a rounding boundary moves
// the logits by up to ~1e-2 (measured). Hence the tolerance: a greedy request gives the same
// tokens alone and among 16 others wherever its best two logits are more than 1e-4 apart (F16:
// here every one of the 16 tokens) or 0.05 apart (Q8_0); at a closer near-tie the runs may part.
void expect_batch_invariance(const std::string& dtype, float tolerance) {
  auto e = make_engine(small_options(), dtype);
  const auto prompt = prompt_ids(29, 2);
  std::vector<float> margins;
  const auto alone = run_alone(*e, prompt, greedy(16), &margins);
  std::vector<std::unique_ptr<Collector>> others;
  Collector mine;
  for (int i = 0; i < 16; ++i) {
    others.push_back(std::make_unique<Collector>());
    ASSERT_TRUE(e->submit({prompt_ids(10 + 3 * i, 100 + i), greedy(16 + i), others.back()->sink()}).is_ok());
    if (i == 7) ASSERT_TRUE(e->submit({prompt, greedy(16), mine.sink()}).is_ok());
  }
  mine.wait();
  for (auto& o : others) o->wait();
  const size_t compared = expect_same_greedy_tokens(mine.tokens[0], alone, margins, tolerance);
  EXPECT_EQ(compared, 16u);
}

TEST(Engine, GreedyRequestIsTheSameAloneAndInABatchOf17F16) { expect_batch_invariance("f16", 1e-4f); }

TEST(Engine, SecondRequestFindsThePromptInThePrefixCache) {
  auto e = make_engine(small_options());
  const auto prompt = prompt_ids(40, 3);
  Collector first, second;
  ASSERT_TRUE(e->submit({prompt, greedy(5), first.sink()}).is_ok());
  first.wait();
  ASSERT_TRUE(e->submit({prompt, greedy(5), second.sink()}).is_ok());
  second.wait();
  EXPECT_EQ(first.outputs.back().num_cached_tokens, 0);
  EXPECT_EQ(second.outputs.back().num_cached_tokens, 32);  // two full blocks; token 40 computes
  EXPECT_EQ(first.tokens[0], second.tokens[0]);
  EXPECT_EQ(e->stats().prefix_cache_queries.load(), 80);
  EXPECT_EQ(e->stats().prefix_cache_hits.load(), 32);
}

TEST(Engine, ChoicesShareThePromptAndChoiceZeroReproducesNEqualsOne) {
  auto e = make_engine(small_options());
  const auto prompt = prompt_ids(21, 4);  // a partial last block, written by every choice
  GenerationParams p = greedy(10);
  p.sampling.temperature = 1.0f;
  p.sampling.seed = 1234;
  const auto single = run_alone(*e, prompt, p);
  p.n = 3;
  Collector c;
  c.n = 3;
  ASSERT_TRUE(e->submit({prompt, p, c.sink()}).is_ok());
  c.wait();
  ASSERT_EQ(c.tokens.size(), 3u);
  EXPECT_EQ(c.tokens[0], single);
  EXPECT_NE(c.tokens[1], c.tokens[0]);
  EXPECT_NE(c.tokens[2], c.tokens[1]);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(c.tokens[i].size(), 10u);
  // Choice 1 with seed 1235 alone gives what it gave as a fork (its KV came from the copy).
  p.n = 1;
  p.sampling.seed = 1235;
  EXPECT_EQ(run_alone(*e, prompt, p), c.tokens[1]);
}

TEST(Engine, PreemptedRequestsStillProduceTheirTokens) {
  EngineOptions o = small_options();
  o.kv_cache_bytes = int64_t(1024) * 16 * 12;  // 12 blocks: 192 tokens for 4 requests of ~70
  auto e = make_engine(o);
  std::vector<std::vector<int32_t>> prompts, alone;
  std::vector<std::vector<float>> margins(4);
  for (int i = 0; i < 4; ++i) {
    prompts.push_back(prompt_ids(30 + i, 200 + i));
    alone.push_back(run_alone(*e, prompts.back(), greedy(40), &margins[size_t(i)]));
  }
  std::vector<std::unique_ptr<Collector>> cs;
  for (int i = 0; i < 4; ++i) {
    cs.push_back(std::make_unique<Collector>());
    ASSERT_TRUE(e->submit({prompts[size_t(i)], greedy(40), cs.back()->sink()}).is_ok());
  }
  for (int i = 0; i < 4; ++i) {
    cs[size_t(i)]->wait();
    // Batched decode and a preempted sequence's recomputation (its KV as one prompt chunk
    // instead of token by token) both change the summation order: the Q8_0 tolerance above.
    expect_same_greedy_tokens(cs[size_t(i)]->tokens[0], alone[size_t(i)], margins[size_t(i)], 0.05f);
    EXPECT_EQ(cs[size_t(i)]->tokens[0].size(), 40u);
  }
  EXPECT_GT(e->stats().num_preemptions.load(), 0);
}

TEST(Engine, CancelEndsTheRequestAndFreesItsBlocks) {
  auto e = make_engine(small_options());
  Collector c;
  auto id = e->submit({prompt_ids(50, 5), greedy(2000), c.sink()});
  ASSERT_TRUE(id.is_ok());
  c.wait_tokens(3);
  e->cancel(*id);
  c.wait();
  EXPECT_EQ(c.finished[0], FinishReason::kAbort);
  EXPECT_LT(c.tokens[0].size(), 2000u);
  // The next step publishes the books: nothing is held.
  Collector d;
  ASSERT_TRUE(e->submit({prompt_ids(3, 6), greedy(1), d.sink()}).is_ok());
  d.wait();
  EXPECT_EQ(e->stats().kv_cache_usage.load(), 0.0);
  EXPECT_EQ(e->stats().num_running.load(), 0);
}

TEST(Engine, QueueBeyondItsBoundRefusesWithResourceExhausted) {
  EngineOptions o = small_options();
  o.max_num_seqs = 1;
  o.max_waiting_requests = 2;
  auto e = make_engine(o);
  Collector running, w1, w2;
  auto first = e->submit({prompt_ids(5, 7), greedy(3000), running.sink()});
  ASSERT_TRUE(first.is_ok());
  running.wait_tokens(1);  // admitted: it left the queue
  ASSERT_TRUE(e->submit({prompt_ids(5, 8), greedy(2), w1.sink()}).is_ok());
  ASSERT_TRUE(e->submit({prompt_ids(5, 9), greedy(2), w2.sink()}).is_ok());
  Collector refused;
  auto third = e->submit({prompt_ids(5, 10), greedy(2), refused.sink()});
  ASSERT_FALSE(third.is_ok());
  EXPECT_EQ(third.status().code(), ErrorCode::kResourceExhausted);
  e->cancel(*first);
  w1.wait();
  w2.wait();
  EXPECT_EQ(w1.finished[0], FinishReason::kLength);
}

TEST(Engine, RefusesPromptsItCannotRun) {
  auto e = make_engine(small_options());
  Collector c;
  EXPECT_EQ(e->submit({{}, greedy(1), c.sink()}).status().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(e->submit({{5, 999999}, greedy(1), c.sink()}).status().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(e->submit({prompt_ids(10, 1), greedy(e->max_model_len()), c.sink()}).status().code(),
            ErrorCode::kInvalidArgument);
}

// A long prompt arriving is computed in chunks while a running stream keeps getting a token
// every step: the stream is not stalled for the whole prompt.
TEST(Engine, LongPromptIsChunkedWhileAStreamKeepsGoing) {
  EngineOptions o = small_options();
  o.max_num_batched_tokens = 32;
  auto e = make_engine(o);
  std::mutex mu;
  std::vector<char> order;  // 'a': a stream token; 'b': the long prompt's first token
  Collector a;
  auto a_sink = a.sink();
  ASSERT_TRUE(e->submit({prompt_ids(4, 11), greedy(200),
                         [&](RequestOutput&& out) {
                           { std::lock_guard<std::mutex> lk(mu); order.push_back('a'); }
                           a_sink(std::move(out));
                         }}).is_ok());
  a.wait_tokens(2);
  Collector b;
  auto b_sink = b.sink();
  ASSERT_TRUE(e->submit({prompt_ids(600, 12), greedy(1),
                         [&](RequestOutput&& out) {
                           { std::lock_guard<std::mutex> lk(mu); order.push_back('b'); }
                           b_sink(std::move(out));
                         }}).is_ok());
  b.wait();
  a.wait();
  std::lock_guard<std::mutex> lk(mu);
  const auto b_at = std::find(order.begin(), order.end(), 'b') - order.begin();
  // 600 tokens at 31 per step (one token of the budget is the stream's) take 20 steps.
  EXPECT_GE(b_at, 2 + 19);
  EXPECT_GT(e->stats().num_prompt_chunks.load(), 18);
}

TEST(Engine, PromptLogprobsAreTheLogSoftmaxOfTheRunnersLogits) {
  auto e = make_engine(small_options());
  const auto prompt = prompt_ids(9, 13);
  GenerationParams p = greedy(1);
  p.prompt_logprobs = true;
  p.logprobs = 2;
  Collector c;
  ASSERT_TRUE(e->submit({prompt, p, c.sink()}).is_ok());
  c.wait();
  const auto& pl = c.outputs[0].prompt_logprobs;
  ASSERT_EQ(pl.size(), prompt.size());
  auto ref = engine_logits(make_test_model("llama3", "gguf", "q8_0"), prompt, 1 << 30, DType::kF16);
  ASSERT_TRUE(ref.is_ok());
  const int64_t vocab = test_checkpoint()->config.vocab_size;
  std::vector<float> ls(static_cast<size_t>(vocab));
  for (size_t i = 1; i < prompt.size(); ++i) {
    Sampler::log_softmax((*ref)[i - 1].data(), vocab, ls.data());
    EXPECT_EQ(pl[i].token, prompt[i]);
    EXPECT_NEAR(pl[i].logprob, ls[size_t(prompt[i])], 2e-3) << i;
    ASSERT_EQ(pl[i].top.size(), 2u);
    EXPECT_GE(pl[i].top[0].second, pl[i].top[1].second);
  }
  // The generated token's logprob comes with its top 2, the first being the greedy choice.
  const auto& t = c.outputs[0].tokens[0];
  ASSERT_EQ(t.top.size(), 2u);
  EXPECT_EQ(t.top[0].first, t.token);
  EXPECT_FLOAT_EQ(t.top[0].second, t.logprob);
}

TEST(Engine, MinTokensMasksStopTokensAndEosStops) {
  EngineOptions o = small_options();
  auto e = make_engine(o);
  const auto prompt = prompt_ids(8, 14);
  const auto free_run = run_alone(*e, prompt, greedy(6));
  // Make the third greedy token a stop token: generation ends there, on it.
  GenerationParams p = greedy(6);
  p.ignore_eos = false;
  p.stop_token_ids = {free_run[2]};
  Collector c;
  ASSERT_TRUE(e->submit({prompt, p, c.sink()}).is_ok());
  c.wait();
  EXPECT_EQ(c.finished[0], FinishReason::kStop);
  EXPECT_TRUE(c.outputs.back().stopped_on_token);
  EXPECT_EQ(c.tokens[0], std::vector<int32_t>(free_run.begin(), free_run.begin() + 3));
  // With min_tokens 4 that token is masked until 4 tokens exist.
  p.min_tokens = 4;
  Collector d;
  ASSERT_TRUE(e->submit({prompt, p, d.sink()}).is_ok());
  d.wait();
  ASSERT_GE(d.tokens[0].size(), 4u);
  for (size_t i = 0; i + 1 < 4; ++i) EXPECT_NE(d.tokens[0][i], free_run[2]);
}

}  // namespace
}  // namespace turbine::testing

namespace turbine::testing {
namespace {

// With a latency target no step can meet, the budget shrinks to the running decodes (it never
// starves them), and requests still finish; without one it stays at max_num_batched_tokens.
TEST(Engine, TargetInterTokenLatencySizesTheTokenBudget) {
  EngineOptions o = small_options();
  o.target_itl_seconds = 1e-7;
  auto e = make_engine(o);
  const auto tokens = run_alone(*e, prompt_ids(40, 15), greedy(30));
  EXPECT_EQ(tokens.size(), 30u);
  EXPECT_EQ(e->stats().token_budget.load(), 1);  // one running stream
  auto free_run = make_engine(small_options());
  run_alone(*free_run, prompt_ids(40, 15), greedy(30));
  EXPECT_EQ(free_run->stats().token_budget.load(), 256);
}

}  // namespace
}  // namespace turbine::testing
