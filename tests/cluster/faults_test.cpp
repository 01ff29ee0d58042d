// A worker killed with SIGKILL mid-stream: its open streams end with a clear error event, the
// requests it had not started run on another instance, and nothing hangs. A silent worker is
// timed out.
#include <atomic>

#include "http/sse.h"
#include "tests/cluster/cluster_test_util.h"

namespace turbine::testing {
namespace {

std::string long_chat(const std::string& content, int max_tokens, bool stream) {
  auto j = nlohmann::json::parse(chat("tiny", content, max_tokens));
  j["ignore_eos"] = true;
  j["stream"] = stream;
  return j.dump();
}

TEST(ClusterFaults, SigkillMidStreamEndsOpenStreamsAndReroutesUnstartedRequests) {
  EtcdProcess etcd;
  ASSERT_EQ(etcd.start(), "");
  // One sequence at a time: the second request waits in the worker, not started.
  auto w1 = start_worker(etcd.url(), "tiny", {"--max-num-seqs", "1"});
  auto frontend = start_frontend(etcd.url(), {"--router-policy", "least-loaded"});
  ASSERT_TRUE(eventually([&] { return num_instances(*frontend) == 1; })) << frontend->log();

  // R1: a long stream.
  std::atomic<int> events{0};
  std::string r1_body;
  std::mutex r1_mu;
  std::thread r1([&] {
    http::ClientRequest q;
    q.method = "POST";
    q.url = frontend->address() + "/v1/chat/completions";
    q.headers = {{"content-type", "application/json"}};
    q.body = long_chat("stream me", 1500, true);
    q.timeout = 30s;
    http::SseParser parser;
    auto resp = http::fetch_stream(q, [&](std::string_view piece) {
      for (auto& e : parser.feed(piece)) {
        std::lock_guard<std::mutex> lk(r1_mu);
        r1_body += e.data + "\n";
        ++events;
      }
      return true;
    });
    EXPECT_TRUE(resp.is_ok()) << resp.status().message();
  });
  ASSERT_TRUE(eventually([&] { return events.load() > 3; })) << w1->log();

  // R2: queued behind R1 in the same worker.
  http::ClientResponse r2;
  std::thread r2_thread([&] { r2 = http_post(frontend->address() + "/v1/chat/completions", chat("tiny", "queued", 5)); });
  std::this_thread::sleep_for(300ms);  // R2 reaches the worker's queue

  auto w2 = start_worker(etcd.url(), "tiny");
  ASSERT_TRUE(eventually([&] { return num_instances(*frontend) == 2; })) << frontend->log();
  w1->stop(SIGKILL);

  r1.join();
  r2_thread.join();
  {
    std::lock_guard<std::mutex> lk(r1_mu);
    EXPECT_NE(r1_body.find("\"error\""), std::string::npos) << r1_body.substr(r1_body.size() > 2000 ? r1_body.size() - 2000 : 0);
    EXPECT_NE(r1_body.find("[DONE]"), std::string::npos);
  }
  EXPECT_EQ(r2.status, 200) << r2.body;
  const std::string metrics = http_get(frontend->address() + "/metrics").body;
  EXPECT_GE(metric_sum(metrics, "turbine:router_retries_total"), 1) << metrics;
  EXPECT_GE(metric_sum(metrics, "turbine:router_requests_total", w2->address().substr(7)), 1) << metrics;
}

}  // namespace
}  // namespace turbine::testing

namespace turbine::testing {
namespace {

TEST(ClusterFaults, SilentWorkerIsTimedOutAndItsRequestsRunElsewhere) {
  EtcdProcess etcd;
  ASSERT_EQ(etcd.start(), "");
  auto w1 = start_worker(etcd.url(), "tiny");
  auto w2 = start_worker(etcd.url(), "tiny");
  auto frontend = start_frontend(etcd.url(), {"--router-policy", "round-robin", "--worker-timeout-ms", "1000"});
  ASSERT_TRUE(eventually([&] { return num_instances(*frontend) == 2; })) << frontend->log();

  ::kill(w2->pid(), SIGSTOP);  // alive, connected, and answering nothing
  for (int i = 0; i < 4; ++i) {
    auto r = http_post(frontend->address() + "/v1/chat/completions", chat("tiny", "anyone " + std::to_string(i), 3));
    EXPECT_EQ(r.status, 200) << r.body;
  }
  const std::string metrics = http_get(frontend->address() + "/metrics").body;
  EXPECT_GE(metric_sum(metrics, "turbine:router_retries_total"), 1) << metrics;
  // Every request ended on w1; every attempt on w2 timed out and was retried there.
  const double retries = metric_sum(metrics, "turbine:router_retries_total");
  EXPECT_EQ(metric_sum(metrics, "turbine:router_requests_total", w1->address().substr(7)), 4) << metrics;
  EXPECT_EQ(metric_sum(metrics, "turbine:router_requests_total", w2->address().substr(7)), retries) << metrics;
  w2->stop(SIGKILL);
}

}  // namespace
}  // namespace turbine::testing
