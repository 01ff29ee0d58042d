// KV-aware routing across processes: requests that share a long prefix go to the worker whose
// cache holds it (its KV events reached the frontend's index), so they find their prompt cached;
// round robin sends half of them elsewhere.
#include "tests/cluster/cluster_test_util.h"

namespace turbine::testing {
namespace {

// A system prompt of several hundred tokens, different per group.
std::string prefix(int group) {
  std::string s = "You are assistant number " + std::to_string(group) + ". ";
  for (int i = 0; i < 60; ++i) s += "Rule " + std::to_string(group * 100 + i) + " says be brief. ";
  return s;
}

std::string grouped_chat(int group, int i) {
  return nlohmann::json{{"model", "tiny"},
                        {"messages",
                         {{{"role", "system"}, {"content", prefix(group)}},
                          {{"role", "user"}, {"content", "question " + std::to_string(i)}}}},
                        {"max_tokens", 6},
                        {"temperature", 0}}
      .dump();
}

// Cached prompt tokens of each follow-up request (the first of each group is cold).
std::vector<int64_t> run_groups(const TurbineProcess& frontend, int num_groups, int per_group) {
  std::vector<int64_t> cached;
  for (int g = 0; g < num_groups; ++g) {
    auto first = http_post(frontend.address() + "/v1/chat/completions", grouped_chat(g, 0));
    EXPECT_EQ(first.status, 200) << first.body;
    std::this_thread::sleep_for(300ms);  // its KV events reach the frontend
    for (int i = 1; i <= per_group; ++i) {
      auto r = http_post(frontend.address() + "/v1/chat/completions", grouped_chat(g, i));
      EXPECT_EQ(r.status, 200) << r.body;
      auto j = nlohmann::json::parse(r.body, nullptr, false);
      cached.push_back(j.is_object() ? j["usage"]["prompt_tokens_details"]["cached_tokens"].get<int64_t>() : -1);
    }
  }
  return cached;
}

TEST(ClusterKvRouting, SharedPrefixRequestsGoToTheWorkerThatHoldsThePrefix) {
  EtcdProcess etcd;
  ASSERT_EQ(etcd.start(), "");
  auto w1 = start_worker(etcd.url(), "tiny");
  auto w2 = start_worker(etcd.url(), "tiny");
  auto kv = start_frontend(etcd.url(), {"--router-policy", "kv"});
  ASSERT_TRUE(eventually([&] { return num_instances(*kv) == 2; })) << kv->log();

  const std::vector<int64_t> cached = run_groups(*kv, 4, 3);
  for (size_t i = 0; i < cached.size(); ++i)
    EXPECT_GE(cached[i], 256) << "follow-up " << i << " missed its group's prefix";
  // Round robin over the same workers (now warm with groups 0-3) on new groups: some
  // follow-ups land on the worker without their prefix.
  auto rr = start_frontend(etcd.url(), {"--router-policy", "round-robin"});
  ASSERT_TRUE(eventually([&] { return num_instances(*rr) == 2; })) << rr->log();
  std::vector<int64_t> rr_cached;
  for (int64_t c : run_groups(*rr, 8, 3)) rr_cached.push_back(c);
  int misses = 0;
  for (int64_t c : rr_cached) misses += c < 256;
  EXPECT_GT(misses, 0);
}

}  // namespace
}  // namespace turbine::testing
