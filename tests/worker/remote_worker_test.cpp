// A real engine behind a WorkerServer, reached through RemoteWorker over loopback: the same
// tokens as the engine in-process, KV events that match the engine's block keys, and each
// failure kind the WorkerClient contract promises.
#include "worker/remote_worker.h"

#include <gtest/gtest.h>

#include "engine/block_hash.h"
#include "model/checkpoint.h"
#include "tests/engine/engine_test_util.h"
#include "tests/http/http_test_util.h"
#include "tests/worker/worker_test_util.h"
#include "worker/local_worker.h"
#include "worker/worker_server.h"

namespace turbine {
namespace {

using namespace std::chrono_literals;

struct EngineWorker {
  std::unique_ptr<Engine> engine;
  std::unique_ptr<LocalWorker> local;
  std::unique_ptr<WorkerServer> server;

  explicit EngineWorker(int32_t max_waiting = 256) {
    EngineOptions eo;
    eo.kv_cache_bytes = int64_t(1024) * 16 * 512;
    eo.backend.num_threads = 1;
    eo.kv_events = true;
    eo.max_waiting_requests = max_waiting;
    auto ckpt = load_checkpoint(testing::make_test_model("llama3", "gguf", "q8_0"));
    EXPECT_TRUE(ckpt.is_ok()) << ckpt.status().message();
    auto e = Engine::create(std::move(*ckpt), eo);
    EXPECT_TRUE(e.is_ok()) << e.status().message();
    engine = std::move(*e);
    local = std::make_unique<LocalWorker>(*engine);
    WorkerInfo info;
    info.model = "test";
    info.block_size = engine->block_size();
    server = std::make_unique<WorkerServer>(*local, info, [engine = engine.get()] {
      return WorkerLoad{engine->stats().num_running.load(), engine->stats().num_waiting.load(),
                        engine->stats().kv_cache_usage.load()};
    });
    engine->set_kv_event_observer([s = server.get()](std::vector<KvEvent> e) { s->publish_kv_events(e); });
    EXPECT_TRUE(server->start("127.0.0.1", 0).is_ok());
  }
  std::string address() const { return server->info().address; }
};

WorkerRequest greedy(std::vector<int32_t> prompt, int64_t max_tokens) {
  WorkerRequest r;
  r.prompt = std::move(prompt);
  r.params.max_tokens = max_tokens;
  r.params.ignore_eos = true;
  r.params.sampling.temperature = 0.0f;
  return r;
}

std::vector<int32_t> prompt_of(int32_t n, int32_t seed = 1) {
  std::vector<int32_t> p;
  for (int32_t i = 0; i < n; ++i) p.push_back(100 + (i * 7 + seed * 13) % 500);
  return p;
}

TEST(RemoteWorker, StreamsTheSameTokensAsTheEngineInProcess) {
  EngineWorker w;
  Collected local, remote;
  ASSERT_TRUE(w.local->generate(greedy(prompt_of(20), 12), local.sink()).is_ok());
  ASSERT_TRUE(local.wait());
  auto thread = std::make_shared<http::ClientThread>();
  RemoteWorker client(w.address(), thread);
  ASSERT_TRUE(client.generate(greedy(prompt_of(20), 12), remote.sink()).is_ok());
  ASSERT_TRUE(remote.wait());
  EXPECT_EQ(remote.tokens(), local.tokens());
  EXPECT_EQ(remote.tokens().size(), 12u);
  EXPECT_EQ(remote.last().finish_reason, FinishReason::kLength);
  EXPECT_EQ(remote.outputs.front().num_prompt_tokens, 20);
  EXPECT_EQ(remote.last().num_cached_tokens, 16);  // the first run cached one full block
}

TEST(RemoteWorker, EventStreamCarriesTheEnginesBlockKeysAndLoad) {
  EngineWorker w;
  Collected first;
  ASSERT_TRUE(w.local->generate(greedy(prompt_of(40, 3), 2), first.sink()).is_ok());
  ASSERT_TRUE(first.wait());

  std::mutex mu;
  std::condition_variable cv;
  std::vector<uint64_t> stored;
  int resets = 0, loads = 0;
  auto thread = std::make_shared<http::ClientThread>();
  RemoteWorker client(w.address(), thread);
  client.watch_events(
      [&](const WorkerEvent& e) {
        std::lock_guard<std::mutex> lk(mu);
        if (e.kind == WorkerEvent::Kind::kReset) ++resets;
        if (e.kind == WorkerEvent::Kind::kLoad) ++loads;
        if (e.kind == WorkerEvent::Kind::kStored) stored.insert(stored.end(), e.hashes.begin(), e.hashes.end());
        cv.notify_all();
      },
      [](const Status&) {});
  std::vector<uint64_t> keys;
  extend_block_hashes(prompt_of(40, 3), 16, keys);
  ASSERT_EQ(keys.size(), 2u);
  std::unique_lock<std::mutex> lk(mu);
  // Cached before the subscription: sent in the first snapshot.
  ASSERT_TRUE(cv.wait_for(lk, 10s, [&] { return stored.size() >= 2 && loads >= 2; }));
  EXPECT_EQ(resets, 1);
  EXPECT_NE(std::find(stored.begin(), stored.end(), keys[0]), stored.end());
  EXPECT_NE(std::find(stored.begin(), stored.end(), keys[1]), stored.end());
  lk.unlock();

  // Cached after: streamed as it happens.
  Collected second;
  ASSERT_TRUE(client.generate(greedy(prompt_of(33, 9), 2), second.sink()).is_ok());
  ASSERT_TRUE(second.wait());
  std::vector<uint64_t> keys2;
  extend_block_hashes(prompt_of(33, 9), 16, keys2);
  lk.lock();
  ASSERT_TRUE(cv.wait_for(lk, 10s, [&] {
    return std::find(stored.begin(), stored.end(), keys2[1]) != stored.end();
  }));
}

TEST(RemoteWorker, CancelEndsTheRequestInTheEngine) {
  EngineWorker w;
  auto thread = std::make_shared<http::ClientThread>();
  RemoteWorker client(w.address(), thread);
  Collected c;
  auto id = client.generate(greedy(prompt_of(10), 400), c.sink());
  ASSERT_TRUE(id.is_ok());
  // Wait for the first tokens, then cancel.
  for (int i = 0; i < 600 && c.tokens().empty(); ++i) std::this_thread::sleep_for(10ms);
  ASSERT_FALSE(c.tokens().empty());
  client.cancel(*id);
  ASSERT_TRUE(c.wait());
  EXPECT_EQ(c.last().finish_reason, FinishReason::kAbort);
  EXPECT_LT(c.tokens().size(), 400u);
  for (int i = 0; i < 500 && w.engine->stats().num_running.load() > 0; ++i) std::this_thread::sleep_for(10ms);
  EXPECT_EQ(w.engine->stats().num_running.load(), 0);
}

TEST(RemoteWorker, RefusalsCarryTheirKind) {
  EngineWorker w;
  auto thread = std::make_shared<http::ClientThread>();
  RemoteWorker client(w.address(), thread);
  Collected bad;
  WorkerRequest r = greedy({999999}, 4);  // outside the vocabulary
  ASSERT_TRUE(client.generate(r, bad.sink()).is_ok());
  ASSERT_TRUE(bad.wait());
  EXPECT_EQ(bad.last().finish_reason, FinishReason::kError);
  EXPECT_EQ(bad.last().error_code, ErrorCode::kInvalidArgument);
  EXPECT_FALSE(bad.last().started);
  EXPECT_NE(bad.last().error.find("vocabulary"), std::string::npos) << bad.last().error;
}

TEST(RemoteWorker, FullQueueIsResourceExhausted) {
  EngineWorker w(/*max_waiting=*/1);
  auto thread = std::make_shared<http::ClientThread>();
  RemoteWorker client(w.address(), thread);
  std::vector<std::unique_ptr<Collected>> all;
  for (int i = 0; i < 6; ++i) {
    all.push_back(std::make_unique<Collected>());
    ASSERT_TRUE(client.generate(greedy(prompt_of(200, i), 50), all.back()->sink()).is_ok());
  }
  int exhausted = 0;
  for (auto& c : all) {
    ASSERT_TRUE(c->wait());
    if (c->last().error_code == ErrorCode::kResourceExhausted) {
      ++exhausted;
      EXPECT_FALSE(c->last().started);
    }
  }
  EXPECT_GE(exhausted, 1);
}

TEST(RemoteWorker, UnreachableWorkerIsUnavailableAndNotStarted) {
  auto thread = std::make_shared<http::ClientThread>();
  RemoteWorker client("http://127.0.0.1:" + std::to_string(http::testing::refused_port()), thread);
  Collected c;
  ASSERT_TRUE(client.generate(greedy({1, 2, 3}, 4), c.sink()).is_ok());
  ASSERT_TRUE(c.wait(10s));
  EXPECT_EQ(c.last().error_code, ErrorCode::kUnavailable);
  EXPECT_FALSE(c.last().started);
}

TEST(RemoteWorker, SilentWorkerTimesOut) {
  http::testing::SilentListener silent;
  auto thread = std::make_shared<http::ClientThread>();
  RemoteWorkerOptions o;
  o.request_timeout = 300ms;
  RemoteWorker client("http://127.0.0.1:" + std::to_string(silent.port()), thread, o);
  Collected c;
  ASSERT_TRUE(client.generate(greedy({1, 2, 3}, 4), c.sink()).is_ok());
  ASSERT_TRUE(c.wait(10s));
  EXPECT_EQ(c.last().error_code, ErrorCode::kDeadlineExceeded);
  EXPECT_FALSE(c.last().started);
}

TEST(RemoteWorker, WorkerGoneMidStreamIsUnavailableAndStarted) {
  auto w = std::make_unique<EngineWorker>();
  auto thread = std::make_shared<http::ClientThread>();
  RemoteWorker client(w->address(), thread);
  Collected c;
  ASSERT_TRUE(client.generate(greedy(prompt_of(10), 2000), c.sink()).is_ok());
  for (int i = 0; i < 600 && c.tokens().empty(); ++i) std::this_thread::sleep_for(10ms);
  ASSERT_FALSE(c.tokens().empty());
  w->server->stop();  // connections closed under the stream, as when the process dies
  ASSERT_TRUE(c.wait(10s));
  EXPECT_EQ(c.last().finish_reason, FinishReason::kError);
  EXPECT_EQ(c.last().error_code, ErrorCode::kUnavailable);
  EXPECT_TRUE(c.last().started);
}

}  // namespace
}  // namespace turbine
