// The Router with scripted workers: policies end to end, the pool, filtering, signals, metrics.
#include "router/router.h"

#include <gtest/gtest.h>

#include <set>

#include "engine/block_hash.h"
#include "telemetry/metrics_registry.h"
#include "tests/router/router_test_util.h"

namespace turbine::testing {
namespace {

using Mode = ScriptedWorker::Mode;
using std::chrono::milliseconds;
using std::chrono::seconds;

RouterOptions with_policy(PolicyKind policy) {
  RouterOptions o;
  o.policy = policy;
  return o;
}

TEST_F(RouterTest, RoundRobinOrder) {
  make_router(with_policy(PolicyKind::kRoundRobin));
  add("a");
  add("b");
  add("c");
  std::vector<std::string> order;
  for (int i = 0; i < 6; ++i) order.push_back(run());
  EXPECT_EQ(order, (std::vector<std::string>{"a", "b", "c", "a", "b", "c"}));
  EXPECT_EQ(worker("a").num_accepted(), 2);
}

TEST_F(RouterTest, LeastLoadedPrefersTheIdleInstance) {
  make_router(with_policy(PolicyKind::kLeastLoaded));
  add("a").set_mode(Mode::kSilent);
  add("b").set_mode(Mode::kSilent);
  // Each pair of requests lands one on each: the second sees the first in flight.
  std::vector<Submitted> held;
  for (int i = 0; i < 6; ++i) held.push_back(submit());
  EXPECT_EQ(worker("a").num_accepted(), 3);
  EXPECT_EQ(worker("b").num_accepted(), 3);
  EXPECT_EQ(status("a").num_in_flight, 3);
  // B reports 4 waiting (other routers' requests): the next three go to A.
  ASSERT_TRUE(router_->report_load("b", LoadReport{2, 4, 0.5}).is_ok());
  for (int i = 0; i < 3; ++i) held.push_back(submit());
  EXPECT_EQ(worker("a").num_accepted(), 6);
  EXPECT_EQ(status("b").load.num_waiting, 4);
  for (auto& s : held) router_->cancel(s.handle);
  for (auto& s : held) {
    ASSERT_TRUE(s.collector->wait());
    EXPECT_EQ(s.collector->last().finish_reason, FinishReason::kAbort);
  }
  EXPECT_EQ(status("a").num_in_flight, 0);
  EXPECT_EQ(status("b").num_in_flight, 0);
  EXPECT_EQ(router_->report_load("zz", LoadReport{}).code(), ErrorCode::kNotFound);
}

TEST_F(RouterTest, LatencyAwareStopsSendingToASlowInstanceAndResumesAfterItRecovers) {
  ManualClock clock;
  RouterOptions options = with_policy(PolicyKind::kLatency);
  options.ttft_threshold_s = 0.5;
  options.ewma_alpha = 1.0;  // each measurement replaces the last: exact steps
  options.probe_cooldown_s = 10.0;
  options.clock = [&clock] { return clock.now(); };
  make_router(options);
  ScriptedWorker& a = add("a");
  add("b");

  // Route until a request lands on A, and make that one take 1 s (of the manual clock).
  a.close_gate();
  for (int i = 0; i < 100 && a.num_accepted() == 0; ++i) {
    Submitted s = submit();
    if (s.handle->instance_id() == "a") {
      clock.advance(seconds(1));
      a.open_gate();
    }
    ASSERT_TRUE(s.collector->wait());
  }
  ASSERT_EQ(a.num_accepted(), 1);
  EXPECT_DOUBLE_EQ(status("a").ttft_ewma_s, 1.0);

  // A is over its threshold: everything goes to B, even after A is fast again, until the
  // cooldown has passed.
  for (int i = 0; i < 10; ++i) EXPECT_EQ(run(), "b");
  EXPECT_TRUE(status("a").slow);
  clock.advance(seconds(5));
  for (int i = 0; i < 5; ++i) EXPECT_EQ(run(), "b");
  EXPECT_EQ(a.num_accepted(), 1);

  // Past the cooldown: one probe goes to A; it answers at once, and A is back.
  clock.advance(seconds(6));
  EXPECT_EQ(run(), "a");
  EXPECT_DOUBLE_EQ(status("a").ttft_ewma_s, 0.0);
  run();  // both fast and idle (either may take it); this pick ends A's probation
  EXPECT_FALSE(status("a").slow);

  // Both fast: load decides, and A takes half of a burst.
  a.set_mode(Mode::kSilent);
  worker("b").set_mode(Mode::kSilent);
  std::vector<Submitted> held;
  for (int i = 0; i < 10; ++i) held.push_back(submit());
  EXPECT_EQ(status("a").num_in_flight, 5);
  EXPECT_EQ(status("b").num_in_flight, 5);
  for (auto& s : held) router_->cancel(s.handle);
  for (auto& s : held) ASSERT_TRUE(s.collector->wait());
}

TEST_F(RouterTest, LatencyEwmasAreFedFromOutputs) {
  ManualClock clock;
  RouterOptions options = with_policy(PolicyKind::kRoundRobin);
  options.ewma_alpha = 0.5;
  options.clock = [&clock] { return clock.now(); };
  make_router(options);
  ScriptedWorker& a = add("a");
  a.set_num_tokens(3);
  a.close_gate();
  Submitted s = submit();
  clock.advance(milliseconds(200));
  a.open_gate();
  ASSERT_TRUE(s.collector->wait());
  EXPECT_EQ(s.collector->num_tokens(), 3);
  EXPECT_DOUBLE_EQ(status("a").ttft_ewma_s, 0.2);
  EXPECT_DOUBLE_EQ(status("a").itl_ewma_s, 0.0);  // the clock stood still between tokens
  EXPECT_EQ(status("a").num_in_flight, 0);
}

TEST_F(RouterTest, KvAwareSendsAPromptToTheInstanceHoldingItsPrefix) {
  make_router(with_policy(PolicyKind::kKv));
  add("a").set_mode(Mode::kSilent);
  add("b").set_mode(Mode::kSilent);
  WorkerRequest r = request(64, 500);  // 4 blocks
  std::vector<uint64_t> keys;
  extend_block_hashes(r.prompt, 16, keys);
  std::vector<KvEvent> events;
  for (size_t i = 0; i < 3; ++i) events.push_back({KvEvent::Kind::kStored, keys[i]});
  ASSERT_TRUE(router_->apply_kv_events("b", events).is_ok());
  EXPECT_EQ(status("b").num_kv_blocks, 3);

  std::vector<Submitted> held;
  held.push_back(submit(r));
  EXPECT_EQ(held.back().handle->instance_id(), "b");
  EXPECT_EQ(worker("b").last_prompt(), r.prompt);

  // The request adds only what B did not hold: 1 prompt block + 1 decode block (its 3 cached
  // blocks count once, in the cache, not per request).
  EXPECT_EQ(status("b").num_blocks_in_flight, 2);

  // Prompts with no cached prefix (4 + 1 blocks each) spread by load: A (0) takes the first,
  // B (2) the second, A (5) the third.
  for (int i = 0; i < 3; ++i) held.push_back(submit(request(64, 10000 + 100 * i)));
  EXPECT_EQ(worker("a").num_accepted(), 2);
  EXPECT_EQ(worker("b").num_accepted(), 2);
  EXPECT_EQ(status("a").num_blocks_in_flight, 10);
  EXPECT_EQ(status("b").num_blocks_in_flight, 7);

  // B's KV stream reconnects: its entries are gone, the prompt balances like any other.
  ASSERT_TRUE(router_->clear_kv("b").is_ok());
  EXPECT_EQ(status("b").num_kv_blocks, 0);
  for (auto& s : held) router_->cancel(s.handle);
  for (auto& s : held) ASSERT_TRUE(s.collector->wait());
  EXPECT_EQ(router_->apply_kv_events("nope", events).code(), ErrorCode::kNotFound);
}

TEST_F(RouterTest, ModelAndVersionFiltering) {
  make_router(with_policy(PolicyKind::kRoundRobin));
  add("a", "m1", "v1");
  add("b", "m1", "v2");
  add("c", "m2", "v1");
  for (int i = 0; i < 4; ++i) EXPECT_EQ(run(request(), "m1", "v2"), "b");
  for (int i = 0; i < 4; ++i) EXPECT_EQ(run(request(), "m2"), "c");
  std::set<std::string> any;
  for (int i = 0; i < 4; ++i) any.insert(run(request(), "m1"));
  EXPECT_EQ(any, (std::set<std::string>{"a", "b"}));

  auto collector = std::make_shared<Collector>();
  EXPECT_EQ(router_->submit("m3", "", request(), collector->sink()).status().code(), ErrorCode::kNotFound);
  EXPECT_EQ(router_->submit("m1", "v3", request(), collector->sink()).status().code(), ErrorCode::kNotFound);
  EXPECT_TRUE(collector->outputs().empty());  // never called

  EXPECT_TRUE(router_->has_instances("m1"));
  EXPECT_TRUE(router_->has_instances("m1", "v2"));
  EXPECT_FALSE(router_->has_instances("m1", "v3"));
  EXPECT_FALSE(router_->has_instances("m3"));
  EXPECT_EQ(router_->versions("m1"), (std::vector<std::string>{"v1", "v2"}));
  EXPECT_TRUE(router_->versions("m3").empty());
}

TEST_F(RouterTest, PerModelPolicyOverride) {
  RouterOptions options = with_policy(PolicyKind::kLeastLoaded);
  options.model_policies["rr"] = PolicyKind::kRoundRobin;
  make_router(options);
  EXPECT_EQ(router_->policy_for("rr"), PolicyKind::kRoundRobin);
  EXPECT_EQ(router_->policy_for("other"), PolicyKind::kLeastLoaded);
  add("a", "rr");
  add("b", "rr");
  add("c", "rr");
  std::vector<std::string> order;
  for (int i = 0; i < 4; ++i) order.push_back(run(request(), "rr"));
  EXPECT_EQ(order, (std::vector<std::string>{"a", "b", "c", "a"}));
}

TEST_F(RouterTest, RemoveInstanceWhileARequestIsInFlight) {
  make_router(with_policy(PolicyKind::kRoundRobin));
  add("a").set_mode(Mode::kSilent);
  add("b");
  Submitted first = submit();
  ASSERT_EQ(first.handle->instance_id(), "a");
  EXPECT_TRUE(router_->remove_instance("a"));
  EXPECT_FALSE(router_->remove_instance("a"));
  ASSERT_EQ(router_->instances().size(), 1u);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(run(), "b");
  // The request on the removed instance is still live: it can be cancelled, and ends.
  router_->cancel(first.handle);
  ASSERT_TRUE(first.collector->wait());
  EXPECT_EQ(first.collector->last().finish_reason, FinishReason::kAbort);
  EXPECT_EQ(worker("a").num_cancel(), 1);
}

TEST_F(RouterTest, ReplacingAnInstanceStartsItAfresh) {
  make_router(with_policy(PolicyKind::kRoundRobin));
  add("a");
  ASSERT_TRUE(router_->apply_kv_events("a", {{KvEvent::Kind::kStored, 1}}).is_ok());
  run();
  auto restarted = std::make_shared<ScriptedWorker>("a2");
  workers_["a2"] = restarted;
  InstanceInfo info;
  info.id = "a";
  info.model = "m";
  router_->add_instance(info, restarted);
  ASSERT_EQ(router_->instances().size(), 1u);
  EXPECT_EQ(status("a").client, "a2");
  EXPECT_EQ(status("a").num_kv_blocks, 0);
  EXPECT_LT(status("a").ttft_ewma_s, 0.0);
  run();
  EXPECT_EQ(restarted->num_accepted(), 1);
  EXPECT_EQ(worker("a").num_accepted(), 1);
}

TEST_F(RouterTest, UnhealthyInstancesAreSkippedUnlessAllAre) {
  make_router(with_policy(PolicyKind::kRoundRobin));
  add("a");
  add("b");
  ASSERT_TRUE(router_->mark_unhealthy("a", std::chrono::hours(1)).is_ok());
  EXPECT_FALSE(status("a").healthy);
  for (int i = 0; i < 4; ++i) EXPECT_EQ(run(), "b");
  // Every instance marked: route anyway rather than fail (the marks may be stale).
  ASSERT_TRUE(router_->mark_unhealthy("b", std::chrono::hours(1)).is_ok());
  std::set<std::string> used;
  for (int i = 0; i < 4; ++i) used.insert(run());
  EXPECT_EQ(used, (std::set<std::string>{"a", "b"}));
}

TEST_F(RouterTest, MultipleChoicesEndAfterEveryChoiceFinished) {
  make_router(with_policy(PolicyKind::kRoundRobin));
  add("a").set_num_tokens(2);
  WorkerRequest r = request();
  r.params.n = 3;
  Submitted s = submit(std::move(r));
  ASSERT_TRUE(s.collector->wait());
  EXPECT_EQ(s.collector->num_finals(), 3);
  EXPECT_EQ(s.collector->num_tokens(), 6);
  EXPECT_EQ(status("a").num_in_flight, 0);
  EXPECT_EQ(status("a").num_blocks_in_flight, 0);
}

TEST_F(RouterTest, MetricsAreRecorded) {
  telemetry::MetricsRegistry registry;
  RouterOptions options = with_policy(PolicyKind::kRoundRobin);
  options.metrics = &registry;
  make_router(options);
  add("a").set_mode(Mode::kRefuse);
  add("b");
  for (int i = 0; i < 4; ++i) run();
  const std::string text = registry.render();
  EXPECT_NE(text.find("turbine:router_overhead_seconds_count 4.0"), std::string::npos) << text;
  // Round robin's turn moves on each pick, retries included: every request tries a first.
  EXPECT_NE(text.find("turbine:router_retries_total 4.0"), std::string::npos) << text;
  EXPECT_NE(text.find("turbine:router_requests_total{instance=\"a\"} 4.0"), std::string::npos) << text;
  EXPECT_NE(text.find("turbine:router_requests_total{instance=\"b\"} 4.0"), std::string::npos) << text;
  EXPECT_NE(text.find("turbine:router_instances 2.0"), std::string::npos) << text;
  router_->remove_instance("a");
  EXPECT_NE(registry.render().find("turbine:router_instances 1.0"), std::string::npos);
}

}  // namespace
}  // namespace turbine::testing
