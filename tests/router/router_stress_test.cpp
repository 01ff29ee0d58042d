// Many threads submit while another adds and removes instances (each change swaps the snapshot):
// every request ends exactly once, on a live worker, and every count returns to zero. Counts are
// asserted, never timings.
#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

#include "router/router.h"
#include "tests/router/router_test_util.h"

namespace turbine::testing {
namespace {

TEST_F(RouterTest, SnapshotSwapUnderConcurrentSubmits) {
  for (PolicyKind policy :
       {PolicyKind::kLeastLoaded, PolicyKind::kKv, PolicyKind::kLatency, PolicyKind::kRoundRobin}) {
    SCOPED_TRACE(policy_name(policy));
    RouterOptions options;
    options.policy = policy;
    make_router(options);
    workers_.clear();
    // "w0" stays; "w1".."w3" come and go. The workers outlive their removal from the pool.
    for (int i = 0; i < 4; ++i) add("w" + std::to_string(i)).set_num_tokens(2);

    constexpr int kThreads = 4;
    constexpr int kPerThread = 150;
    std::atomic<bool> churning{true};
    std::thread churn([&] {
      int round = 0;
      while (churning.load()) {
        const std::string id = "w" + std::to_string(1 + round % 3);
        if (round % 2 == 0) {
          router_->remove_instance(id);
        } else {
          InstanceInfo info;
          info.id = id;
          info.model = "m";
          router_->add_instance(info, workers_.at(id));
          router_->apply_kv_events(id, {{KvEvent::Kind::kStored, uint64_t(round)}}).is_ok();
        }
        ++round;
        std::this_thread::yield();
      }
    });

    std::vector<std::vector<std::shared_ptr<Collector>>> collected(kThreads);
    std::vector<std::thread> submitters;
    for (int t = 0; t < kThreads; ++t) {
      submitters.emplace_back([&, t] {
        for (int i = 0; i < kPerThread; ++i) {
          auto collector = std::make_shared<Collector>();
          Result<std::shared_ptr<RouteHandle>> h =
              router_->submit("m", "", request(16 + (i % 4) * 16, 1 + i % 8), collector->sink());
          if (h.is_ok()) collected[size_t(t)].push_back(collector);
        }
      });
    }
    for (auto& th : submitters) th.join();
    churning = false;
    churn.join();

    int num_requests = 0;
    for (auto& list : collected) {
      for (auto& c : list) {
        ASSERT_TRUE(c->wait());
        EXPECT_EQ(c->num_finals(), 1);
        EXPECT_EQ(c->last().finish_reason, FinishReason::kLength);
        EXPECT_EQ(c->num_tokens(), 2);
        ++num_requests;
      }
    }
    EXPECT_EQ(num_requests, kThreads * kPerThread);  // w0 is always there: none is refused
    int num_accepted = 0;
    for (auto& [id, w] : workers_) num_accepted += w->num_accepted();
    EXPECT_EQ(num_accepted, num_requests);  // no retries: every worker accepts
    for (const InstanceStatus& s : router_->instances()) {
      EXPECT_EQ(s.num_in_flight, 0) << s.info.id;
      EXPECT_EQ(s.num_blocks_in_flight, 0) << s.info.id;
    }
    for (auto& [id, w] : workers_) w->shutdown();
  }
}

}  // namespace
}  // namespace turbine::testing
