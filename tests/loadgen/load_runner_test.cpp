// The load generator against the scripted server: what it reports matches the script (within
// the stated bounds), the load models issue what they should, and faults are counted by kind.
#include "loadgen/load_runner.h"

#include <gtest/gtest.h>

#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <thread>

#include "tests/http/http_test_util.h"
#include "tests/loadgen/scripted_server.h"

namespace turbine::loadgen {
namespace {

using namespace std::chrono_literals;
using testing::ScriptedServer;
using testing::StubScript;

struct Measured {
  LoadResult result;
  RunSummary summary;
};

Measured run(const ScriptedServer& server, LoadOptions options, const WorkloadOptions& w,
        const Slo& slo = {}) {
  options.url = server.base_url() + "/v1/chat/completions";
  options.shape.model = "stub";
  auto workload = Workload::create(w, std::make_shared<const TextSynthesizer>(), 1);
  EXPECT_TRUE(workload.is_ok()) << workload.status().message();
  http::AsyncClient client;
  Measured r;
  r.result = run_load(options, **workload, client);
  r.summary = summarize_run(r.result.records, slo, r.result.cost);
  return r;
}

WorkloadOptions fixed_lengths(int64_t input, int64_t output) {
  WorkloadOptions w;
  w.input_len = Distribution::fixed(input);
  w.output_len = Distribution::fixed(output);
  return w;
}

StubScript script(std::chrono::microseconds ttft, std::chrono::microseconds itl) {
  StubScript s;
  s.ttft = ttft;
  s.itl = itl;
  return s;
}

// The bounds: nothing can arrive before the script lets it (lower bounds are exact); loopback,
// HTTP and a shared 2-core machine add a little (upper bounds leave room for that).
TEST(LoadRunner, ClosedLoopReportsTheScriptedTtftItlAndThroughput) {
  ScriptedServer server(script(60ms, 15ms));
  ASSERT_TRUE(server.start().is_ok());
  Measured r = run(server, {.concurrency = 4, .num_requests = 24}, fixed_lengths(50, 16));
  const RunSummary& s = r.summary;
  ASSERT_EQ(s.num_succeeded, 24) << (s.errors_by_kind.empty() ? "" : s.error_examples.begin()->second);
  EXPECT_EQ(s.output_tokens, 24 * 16);
  EXPECT_TRUE(s.usage_reported);
  EXPECT_EQ(s.input_tokens, 24 * 100);  // the stub's usage
  for (const auto& rec : r.result.records) {
    EXPECT_EQ(rec.num_token_events, 16);  // the role event at once is not a token
    EXPECT_GE(rec.ttft_s(), 0.060);
    EXPECT_EQ(rec.itl_s.size(), 15u);
  }
  EXPECT_LE(s.ttft_ms.mean, 60 + 25);
  EXPECT_GE(s.itl_ms.p50, 15 * 0.9);
  EXPECT_LE(s.itl_ms.p50, 15 + 5);
  EXPECT_GE(s.itl_ms.mean, 15 * 0.9);
  EXPECT_LE(s.itl_ms.mean, 15 + 5);
  EXPECT_GE(s.tpot_ms.mean, 15.0);
  EXPECT_LE(s.tpot_ms.mean, 15 + 5);
  // Each request takes at least 60 + 15 * 15 = 285 ms, four at a time.
  const double ideal = 4 / 0.285;
  EXPECT_LE(s.request_throughput, ideal * 1.02);
  EXPECT_GE(s.request_throughput, ideal * 0.75);
  EXPECT_NEAR(s.output_throughput, s.request_throughput * 16, 1e-6);
  EXPECT_EQ(s.max_in_flight, 4);
  EXPECT_LE(s.connections_opened, 4u);  // kept alive: four users, four connections
}

TEST(LoadRunner, OpenLoopArrivesAtTheRateWithoutQueueing) {
  ScriptedServer server(script(5ms, 2ms));
  ASSERT_TRUE(server.start().is_ok());
  Measured r = run(server, {.request_rate = 40, .num_requests = 60, .seed = 3}, fixed_lengths(20, 4));
  ASSERT_EQ(r.summary.num_succeeded, 60);
  std::vector<double> arrivals;
  for (const auto& rec : r.result.records) arrivals.push_back(rec.arrival_s);
  std::sort(arrivals.begin(), arrivals.end());
  EXPECT_EQ(arrivals.front(), 0.0);
  const double mean_gap = arrivals.back() / double(arrivals.size() - 1);
  EXPECT_NEAR(mean_gap, 1.0 / 40, 0.3 / 40);
  // No cap: each request goes out when it arrives (the timer's own lateness aside).
  EXPECT_LE(r.summary.queue_ms.p50, 5.0);
  EXPECT_GE(r.summary.timer_lag_ms.count, 60);
  EXPECT_EQ(server.num_requests(), 60);
}

TEST(LoadRunner, ConcurrencyCapHoldsArrivalsBack) {
  ScriptedServer server(script(30ms, 5ms));
  ASSERT_TRUE(server.start().is_ok());
  Measured r = run(server, {.request_rate = 1e12, .concurrency = 3, .num_requests = 12}, fixed_lengths(20, 4));
  ASSERT_EQ(r.summary.num_succeeded, 12);
  EXPECT_EQ(r.summary.max_in_flight, 3);
  EXPECT_GE(r.summary.queue_ms.max, 30.0);  // the last ones waited at least one TTFT for a slot
}

TEST(LoadRunner, FaultsAreCountedByKind) {
  StubScript s = script(5ms, 1ms);
  s.fail_every = 4;  // requests 4, 8, 12, 16, 20: 429
  s.cut_every = 5;   // requests 5, 10, 15: cut short (20 was refused first)
  ScriptedServer server(s);
  ASSERT_TRUE(server.start().is_ok());
  Measured r = run(server, {.concurrency = 1, .num_requests = 20}, fixed_lengths(20, 6));
  EXPECT_EQ(r.summary.num_succeeded, 12);
  EXPECT_EQ(r.summary.num_failed, 8);
  EXPECT_EQ(r.summary.errors_by_kind.at("http_429"), 5);
  EXPECT_EQ(r.summary.errors_by_kind.at("incomplete"), 3);
  EXPECT_EQ(r.summary.error_examples.at("http_429"), "scripted overload");
}

TEST(LoadRunner, UnreachableServerFailsEveryRequestWithoutHanging) {
  LoadOptions o{.concurrency = 2, .num_requests = 6};
  o.url = "http://127.0.0.1:" + std::to_string(http::testing::refused_port()) + "/v1/chat/completions";
  auto workload = Workload::create(fixed_lengths(10, 2), std::make_shared<const TextSynthesizer>(), 0);
  ASSERT_TRUE(workload.is_ok());
  http::AsyncClient client;
  LoadResult result = run_load(o, **workload, client);
  ASSERT_EQ(result.records.size(), 6u);
  for (const auto& rec : result.records) EXPECT_EQ(rec.error_kind, "connect") << rec.error_message;
}

TEST(LoadRunner, MultiTurnResendsTheHistoryAfterTheThinkTime) {
  ScriptedServer server(script(5ms, 1ms));
  ASSERT_TRUE(server.start().is_ok());
  WorkloadOptions w = fixed_lengths(10, 3);
  w.kind = "multi-turn";
  w.turns = 3;
  w.think_time_ms = Distribution::fixed(50);
  Measured r = run(server, {.concurrency = 1, .num_requests = 6}, w);
  ASSERT_EQ(r.summary.num_succeeded, 6);
  auto bodies = server.bodies();
  ASSERT_EQ(bodies.size(), 6u);
  // One user: session 0 turns 0..2, then session 1.
  EXPECT_EQ(bodies[0]["messages"].size(), 1u);
  EXPECT_EQ(bodies[1]["messages"].size(), 3u);
  EXPECT_EQ(bodies[2]["messages"].size(), 5u);
  EXPECT_EQ(bodies[2]["messages"][1]["role"], "assistant");
  EXPECT_EQ(bodies[2]["messages"][1]["content"], " t0 t1 t2");  // what the stub answered
  EXPECT_EQ(bodies[2]["messages"][0], bodies[1]["messages"][0]);
  EXPECT_EQ(bodies[3]["messages"].size(), 1u);
  const auto& recs = r.result.records;
  for (size_t i = 1; i < 3; ++i) {
    EXPECT_EQ(recs[i].turn, int64_t(i));
    EXPECT_GE(recs[i].sent_s - recs[i - 1].done_s, 0.050);
  }
}

TEST(LoadRunner, DurationStopsIssuingAndLetsRequestsFinish) {
  ScriptedServer server(script(20ms, 10ms));
  ASSERT_TRUE(server.start().is_ok());
  Measured r = run(server, {.concurrency = 2, .duration_s = 0.4}, fixed_lengths(10, 5));
  EXPECT_GE(r.summary.num_succeeded, 4);
  EXPECT_EQ(r.summary.num_failed, 0);
  for (const auto& rec : r.result.records) EXPECT_LT(rec.sent_s, 0.4);
}

TEST(LoadRunner, TraceReplaysItsTimestamps) {
  ScriptedServer server(script(5ms, 1ms));
  ASSERT_TRUE(server.start().is_ok());
  const auto path = std::filesystem::temp_directory_path() / ("turbine-trace-" + std::to_string(::getpid()) + ".jsonl");
  std::ofstream(path) << "{\"timestamp\":0,\"input_length\":10,\"output_length\":2}\n"
                         "{\"timestamp\":100,\"input_length\":10,\"output_length\":2}\n"
                         "{\"timestamp\":250,\"input_length\":10,\"output_length\":2}\n";
  WorkloadOptions w;
  w.kind = "trace";
  w.dataset_path = path.string();
  Measured r = run(server, {}, w);
  ASSERT_EQ(r.summary.num_succeeded, 3);
  std::vector<RequestRecord> recs = r.result.records;
  std::sort(recs.begin(), recs.end(), [](auto& a, auto& b) { return a.session < b.session; });
  EXPECT_DOUBLE_EQ(recs[0].arrival_s, 0.0);
  EXPECT_DOUBLE_EQ(recs[1].arrival_s, 0.1);
  EXPECT_DOUBLE_EQ(recs[2].arrival_s, 0.25);
  for (const auto& rec : recs) EXPECT_GE(rec.sent_s, rec.arrival_s);
}

TEST(LoadRunner, DurationDoesNotWaitForATracesLaterLines) {
  ScriptedServer server(script(5ms, 1ms));
  ASSERT_TRUE(server.start().is_ok());
  const auto path = std::filesystem::temp_directory_path() / ("turbine-trace-far-" + std::to_string(::getpid()) + ".jsonl");
  // Epoch-stamped: the first line starts the run; the next comes an hour later.
  std::ofstream(path) << "{\"timestamp\":1700000000000,\"input_length\":10,\"output_length\":2}\n"
                         "{\"timestamp\":1700003600000,\"input_length\":10,\"output_length\":2}\n";
  WorkloadOptions w;
  w.kind = "trace";
  w.dataset_path = path.string();
  const auto started = std::chrono::steady_clock::now();
  Measured r = run(server, {.duration_s = 0.3}, w);
  EXPECT_LT(std::chrono::steady_clock::now() - started, 30s);  // not an hour
  ASSERT_EQ(r.summary.num_succeeded, 1);
  EXPECT_EQ(r.result.records[0].arrival_s, 0.0);
}

TEST(LoadRunner, AConnectionDroppedBeforeAnyAnswerIsDisconnectedNotConnect) {
  auto listener = std::make_unique<http::testing::SilentListener>();  // accepts in the kernel only
  LoadOptions o{.concurrency = 1, .num_requests = 1};
  o.url = "http://127.0.0.1:" + std::to_string(listener->port()) + "/v1/chat/completions";
  std::thread closer([&] {
    std::this_thread::sleep_for(200ms);
    listener.reset();  // closing the listener resets the connection it never accepted
  });
  auto workload = Workload::create(fixed_lengths(10, 2), std::make_shared<const TextSynthesizer>(), 0);
  ASSERT_TRUE(workload.is_ok());
  http::AsyncClient client;
  LoadResult result = run_load(o, **workload, client);
  closer.join();
  ASSERT_EQ(result.records.size(), 1u);
  EXPECT_EQ(result.records[0].error_kind, "disconnected") << result.records[0].error_message;
}

TEST(LoadRunner, WithoutUsageTokensAreCountedFromTheStream) {
  StubScript s = script(5ms, 1ms);
  s.send_usage = false;
  s.tokens_per_event = 3;
  ScriptedServer server(s);
  ASSERT_TRUE(server.start().is_ok());
  Measured r = run(server, {.concurrency = 1, .num_requests = 2}, fixed_lengths(10, 9));
  ASSERT_EQ(r.summary.num_succeeded, 2);
  EXPECT_FALSE(r.summary.usage_reported);
  // No usage and no tokenizer: one token per event (3 events of 3 tokens each), and the
  // prompt's tokens estimated from its text.
  for (const auto& rec : r.result.records) {
    EXPECT_EQ(rec.output_tokens, 3);
    EXPECT_GE(rec.prompt_tokens, 8);
    EXPECT_LE(rec.prompt_tokens, 12);
  }
}

TEST(LoadRunner, GoodputCountsRequestsWithinTheSlo) {
  ScriptedServer server(script(40ms, 2ms));
  ASSERT_TRUE(server.start().is_ok());
  Measured strict = run(server, {.concurrency = 2, .num_requests = 6}, fixed_lengths(10, 3), *parse_slo("ttft_ms=20"));
  EXPECT_EQ(strict.summary.num_good, 0);  // nothing beats the scripted 40 ms
  Measured loose = run(server, {.concurrency = 2, .num_requests = 6}, fixed_lengths(10, 3), *parse_slo("ttft_ms=5000"));
  EXPECT_EQ(loose.summary.num_good, 6);
  EXPECT_NEAR(loose.summary.goodput, loose.summary.request_throughput, 1e-9);
}

}  // namespace
}  // namespace turbine::loadgen
