// The policies on their own: instances built by hand (no client), signals set directly.
#include <gtest/gtest.h>

#include <chrono>
#include <numeric>

#include "engine/block_hash.h"
#include "router/kv_aware_policy.h"
#include "router/kv_index.h"
#include "router/latency_aware_policy.h"
#include "router/least_loaded_policy.h"
#include "router/round_robin_policy.h"

namespace turbine {
namespace {

using std::chrono::seconds;

std::shared_ptr<Instance> make_instance(const std::string& id, int32_t block_size = 16) {
  InstanceInfo info;
  info.id = id;
  info.model = "m";
  info.block_size = block_size;
  return std::make_shared<Instance>(info, nullptr);
}

// A context over `instances` with its own prompt, RNG and time.
struct Fixture {
  std::vector<std::shared_ptr<Instance>> instances;
  std::vector<Instance*> candidates;
  WorkerRequest request;
  PromptBlocks prompt_blocks{&request.prompt};
  Rng rng{42};
  Clock::time_point now = Clock::time_point(seconds(1000));

  explicit Fixture(int n) {
    for (int i = 0; i < n; ++i) instances.push_back(make_instance(std::string(1, char('a' + i))));
    for (const auto& inst : instances) candidates.push_back(inst.get());
    request.params.max_tokens = 16;
  }
  RouteContext ctx() { return RouteContext{candidates, &request, &prompt_blocks, &rng, now}; }
  // How often each instance is picked in `n` picks (probes included).
  std::vector<int> histogram(Policy& policy, int n) {
    std::vector<int> counts(instances.size());
    for (int i = 0; i < n; ++i) ++counts[size_t(policy.pick(ctx()).index)];
    return counts;
  }
};

TEST(PolicyTest, ParsePolicyNames) {
  EXPECT_EQ(parse_policy("round-robin").value(), PolicyKind::kRoundRobin);
  EXPECT_EQ(parse_policy("least-loaded").value(), PolicyKind::kLeastLoaded);
  EXPECT_EQ(parse_policy("latency").value(), PolicyKind::kLatency);
  EXPECT_EQ(parse_policy("kv").value(), PolicyKind::kKv);
  EXPECT_EQ(parse_policy("random").status().code(), ErrorCode::kInvalidArgument);
  for (PolicyKind k : {PolicyKind::kRoundRobin, PolicyKind::kLeastLoaded, PolicyKind::kLatency, PolicyKind::kKv})
    EXPECT_EQ(parse_policy(policy_name(k)).value(), k);
}

TEST(PolicyTest, RoundRobinCyclesInOrder) {
  Fixture f(3);
  RoundRobinPolicy policy;
  std::vector<int32_t> order;
  for (int i = 0; i < 7; ++i) order.push_back(policy.pick(f.ctx()).index);
  EXPECT_EQ(order, (std::vector<int32_t>{0, 1, 2, 0, 1, 2, 0}));
}

TEST(PolicyTest, LeastLoadedPrefersTheIdleOneAndCountsReportedWaiting) {
  Fixture f(2);
  LeastLoadedPolicy policy;
  f.instances[0]->begin_request(4);
  f.instances[0]->begin_request(4);
  EXPECT_EQ(f.histogram(policy, 50), (std::vector<int>{0, 50}));
  f.instances[1]->set_load(LoadReport{0, 3, 0.5});  // 0 + 3 waiting > 2 in flight
  EXPECT_EQ(f.histogram(policy, 50), (std::vector<int>{50, 0}));
  // Equal load: ties at random, both get some.
  f.instances[1]->set_load(LoadReport{0, 2, 0.5});
  const std::vector<int> counts = f.histogram(policy, 400);
  EXPECT_GT(counts[0], 100);
  EXPECT_GT(counts[1], 100);
}

TEST(PolicyTest, LatencyAwareExcludesSlowInstanceThenProbesIt) {
  Fixture f(2);
  PolicyConfig config;
  config.ttft_threshold_s = 0.5;
  config.itl_threshold_s = 0.1;
  config.probe_cooldown_s = 10.0;
  LatencyAwarePolicy policy(config);
  Instance& a = *f.instances[0];
  Instance& b = *f.instances[1];
  a.observe_ttft(2.0, 1.0);   // over
  b.observe_ttft(0.01, 1.0);  // fast
  EXPECT_EQ(f.histogram(policy, 20), (std::vector<int>{0, 20}));
  EXPECT_TRUE(a.is_slow());

  // A cooldown later: exactly one probe, then back to B while it runs.
  f.now += seconds(10);
  const Pick probe = policy.pick(f.ctx());
  EXPECT_EQ(probe.index, 0);
  EXPECT_TRUE(probe.probe);
  EXPECT_EQ(f.histogram(policy, 20), (std::vector<int>{0, 20}));

  // The probe was slow again: the next one waits a full cooldown from its end.
  a.end_probe(f.now);
  f.now += seconds(5);
  EXPECT_EQ(f.histogram(policy, 20), (std::vector<int>{0, 20}));
  f.now += seconds(5);
  EXPECT_TRUE(policy.pick(f.ctx()).probe);
  // This probe was fast: A is off probation and shares the load again.
  a.observe_ttft(0.01, 1.0);
  a.end_probe(f.now);
  const std::vector<int> counts = f.histogram(policy, 400);
  EXPECT_FALSE(a.is_slow());
  EXPECT_GT(counts[0], 100);
  EXPECT_GT(counts[1], 100);
}

TEST(PolicyTest, LatencyAwareSlowItlAlsoExcludes) {
  Fixture f(2);
  PolicyConfig config;
  config.itl_threshold_s = 0.1;
  LatencyAwarePolicy policy(config);
  f.instances[0]->observe_itl(0.3, 1.0);
  EXPECT_EQ(f.histogram(policy, 20), (std::vector<int>{0, 20}));
}

TEST(PolicyTest, LatencyAwarePicksTheBestWhenAllAreSlow) {
  Fixture f(3);
  PolicyConfig config;
  config.ttft_threshold_s = 0.5;
  config.probe_cooldown_s = 1e9;  // no probes
  LatencyAwarePolicy policy(config);
  f.instances[0]->observe_ttft(3.0, 1.0);
  f.instances[1]->observe_ttft(1.0, 1.0);
  f.instances[2]->observe_ttft(2.0, 1.0);
  EXPECT_EQ(f.histogram(policy, 20), (std::vector<int>{0, 20, 0}));
}

TEST(PolicyTest, LatencyAwareBalancesFastInstancesByLoad) {
  Fixture f(2);
  LatencyAwarePolicy policy(PolicyConfig{});
  f.instances[0]->observe_ttft(0.001, 1.0);  // both far under the 2 s threshold
  f.instances[1]->observe_ttft(0.2, 1.0);
  f.instances[0]->begin_request(1);          // A has one in flight: B, though "slower", wins
  EXPECT_EQ(f.histogram(policy, 10), (std::vector<int>{0, 10}));
}

// Keys of the prompt's blocks as an instance would report them.
std::vector<KvEvent> stored_prefix(const std::vector<int32_t>& prompt, int32_t block_size, size_t num_blocks) {
  std::vector<uint64_t> keys;
  extend_block_hashes(prompt, block_size, keys);
  std::vector<KvEvent> events;
  for (size_t i = 0; i < num_blocks; ++i) events.push_back({KvEvent::Kind::kStored, keys[i]});
  return events;
}

TEST(PolicyTest, KvAwareFollowsThePrefixUntilLoadOutweighsIt) {
  Fixture f(2);
  f.request.prompt.resize(64);  // 4 blocks
  std::iota(f.request.prompt.begin(), f.request.prompt.end(), 1);
  KvIndex index;
  PolicyConfig config;
  config.kv_index = &index;
  config.kv_overlap_weight = 1.0;
  KvAwarePolicy policy(config);
  index.apply(f.instances[1]->key(), stored_prefix(f.request.prompt, 16, 3));
  // cost a = 4, b = 1.
  EXPECT_EQ(f.histogram(policy, 20), (std::vector<int>{0, 20}));
  // b carries 5 blocks of load: cost b = 1 + 5 > 4.
  f.instances[1]->begin_request(5);
  EXPECT_EQ(f.histogram(policy, 20), (std::vector<int>{20, 0}));
  // A heavier overlap weight puts the prefix first again: a = 8, b = 2 + 5.
  config.kv_overlap_weight = 2.0;
  KvAwarePolicy heavy(config);
  EXPECT_EQ(f.histogram(heavy, 20), (std::vector<int>{0, 20}));
}

TEST(PolicyTest, KvAwareBalancesByLoadWithoutOverlap) {
  Fixture f(2);
  f.request.prompt.assign(32, 7);
  KvIndex index;
  PolicyConfig config;
  config.kv_index = &index;
  KvAwarePolicy policy(config);
  f.instances[0]->begin_request(10);
  EXPECT_EQ(f.histogram(policy, 20), (std::vector<int>{0, 20}));
  f.instances[1]->begin_request(10);  // equal: random ties
  const std::vector<int> counts = f.histogram(policy, 400);
  EXPECT_GT(counts[0], 100);
  EXPECT_GT(counts[1], 100);
}

TEST(PolicyTest, KvTemperatureSpreadsNearTies) {
  Fixture f(2);
  f.request.prompt.resize(128);  // 8 blocks
  std::iota(f.request.prompt.begin(), f.request.prompt.end(), 1);
  KvIndex index;
  index.apply(f.instances[0]->key(), stored_prefix(f.request.prompt, 16, 1));  // cost a = 7, b = 8
  PolicyConfig config;
  config.kv_index = &index;
  KvAwarePolicy greedy(config);
  EXPECT_EQ(f.histogram(greedy, 200), (std::vector<int>{200, 0}));
  // Normalised costs 0 and 1, temperature 1: b has weight e^-1, about 27% of picks.
  config.kv_temperature = 1.0;
  KvAwarePolicy sampled(config);
  const std::vector<int> counts = f.histogram(sampled, 2000);
  EXPECT_GT(counts[1], 300);
  EXPECT_LT(counts[1], 800);
}

TEST(PolicyTest, KvAwareMixedBlockSizesUseTheirOwnKeys) {
  Fixture f(0);
  f.instances = {make_instance("a", 16), make_instance("b", 32)};
  for (const auto& inst : f.instances) f.candidates.push_back(inst.get());
  f.request.prompt.resize(64);
  std::iota(f.request.prompt.begin(), f.request.prompt.end(), 1);
  KvIndex index;
  index.apply(f.instances[1]->key(), stored_prefix(f.request.prompt, 32, 2));  // b holds it all
  PolicyConfig config;
  config.kv_index = &index;
  KvAwarePolicy policy(config);
  EXPECT_EQ(f.histogram(policy, 20), (std::vector<int>{0, 20}));
}

}  // namespace
}  // namespace turbine
