// Workers find the frontend through etcd: they join the router's pool when they register, leave
// it at once on SIGTERM and within the lease TTL when killed, and an etcd restart costs no
// request.
#include "tests/cluster/cluster_test_util.h"

namespace turbine::testing {
namespace {

TEST(Cluster, WorkersJoinAndLeaveThePoolThroughEtcd) {
  EtcdProcess etcd;
  ASSERT_EQ(etcd.start(), "");
  auto w1 = start_worker(etcd.url(), "tiny");
  auto w2 = start_worker(etcd.url(), "tiny");
  auto frontend = start_frontend(etcd.url(), {"--router-policy", "round-robin"});
  ASSERT_TRUE(eventually([&] { return num_instances(*frontend) == 2; })) << frontend->log();

  auto models = nlohmann::json::parse(http_get(frontend->address() + "/v1/models").body, nullptr, false);
  ASSERT_TRUE(models.is_object());
  ASSERT_EQ(models["data"].size(), 1u);
  EXPECT_EQ(models["data"][0]["id"], "tiny");

  for (int i = 0; i < 4; ++i) {
    auto r = http_post(frontend->address() + "/v1/chat/completions", chat("tiny", "hello " + std::to_string(i), 4));
    ASSERT_EQ(r.status, 200) << r.body;
    auto j = nlohmann::json::parse(r.body);
    EXPECT_EQ(j["usage"]["completion_tokens"], 4);
  }
  const std::string metrics = http_get(frontend->address() + "/metrics").body;
  // Round robin: two each. Instance ids are the workers' host:port.
  const std::string id1 = w1->address().substr(7), id2 = w2->address().substr(7);
  EXPECT_EQ(metric_sum(metrics, "turbine:router_requests_total", id1), 2) << metrics;
  EXPECT_EQ(metric_sum(metrics, "turbine:router_requests_total", id2), 2) << metrics;

  // Killed: no goodbye, gone within the lease TTL (2 s) plus etcd's expiry sweep.
  const auto killed_at = std::chrono::steady_clock::now();
  w2->stop(SIGKILL);
  ASSERT_TRUE(eventually([&] { return num_instances(*frontend) == 1; }, 15s)) << frontend->log();
  EXPECT_LT(std::chrono::steady_clock::now() - killed_at, 10s);
  for (int i = 0; i < 3; ++i) {
    auto r = http_post(frontend->address() + "/v1/chat/completions", chat("tiny", "after", 3));
    EXPECT_EQ(r.status, 200) << r.body;
  }

  // Stopped cleanly: it revokes its lease and is gone at once; with no instance left, 503.
  w1->stop(SIGTERM);
  ASSERT_TRUE(eventually([&] { return num_instances(*frontend) == 0; }, 3s)) << frontend->log();
  auto r = http_post(frontend->address() + "/v1/chat/completions", chat("tiny", "anyone?", 3));
  EXPECT_EQ(r.status, 503) << r.body;
  auto streamed = nlohmann::json::parse(chat("tiny", "anyone?", 3));
  streamed["stream"] = true;
  r = http_post(frontend->address() + "/v1/chat/completions", streamed.dump());
  EXPECT_EQ(r.status, 503) << r.body;  // a status clients' retry logic reads, not an event in a 200
}

TEST(Cluster, EtcdRestartCostsNoRequest) {
  EtcdProcess etcd;
  ASSERT_EQ(etcd.start(), "");
  auto w1 = start_worker(etcd.url(), "tiny");
  auto frontend = start_frontend(etcd.url());
  ASSERT_TRUE(eventually([&] { return num_instances(*frontend) == 1; })) << frontend->log();

  etcd.stop();
  // The frontend keeps its pool while the store is away.
  auto r = http_post(frontend->address() + "/v1/chat/completions", chat("tiny", "store down", 3));
  EXPECT_EQ(r.status, 200) << r.body;

  ASSERT_EQ(etcd.restart(), "");
  // The worker is registered again, and the frontend watches again: a new worker is found.
  auto w2 = start_worker(etcd.url(), "tiny");
  ASSERT_TRUE(eventually([&] { return num_instances(*frontend) == 2; }, 20s)) << frontend->log() << w1->log();
  for (int i = 0; i < 4; ++i) {
    auto rr = http_post(frontend->address() + "/v1/chat/completions", chat("tiny", "store back", 3));
    EXPECT_EQ(rr.status, 200) << rr.body;
  }
}

TEST(Cluster, WorkerRefusesAnUnreachableStore) {
  TurbineProcess w({"worker", "--model", make_test_model("llama3", "gguf", "q8_0"), "--store",
                    "etcd://127.0.0.1:1", "--port", "0"},
                   "listening on");
  EXPECT_FALSE(w.ready());
  const int status = w.stop(SIGTERM);
  (void)status;
  EXPECT_NE(w.log().find("127.0.0.1:1"), std::string::npos) << w.log();
}

}  // namespace
}  // namespace turbine::testing
