// The model registry across processes: versions served by external-engine workers (each fronting
// a scripted OpenAI server in this test process), weights set with `turbine models`, traffic
// split in proportion, and a canary that fails half its streams rolled back automatically.
#include "tests/cluster/cluster_test_util.h"
#include "tests/loadgen/scripted_server.h"

namespace turbine::testing {
namespace {

constexpr const char* kAdminKey = "test-admin-key";

struct Upstream {
  std::unique_ptr<loadgen::testing::ScriptedServer> server;
  std::unique_ptr<TurbineProcess> worker;
};

Upstream start_version(const std::string& store, const std::string& version, int cut_every = 0) {
  loadgen::testing::StubScript script;
  script.ttft = 2ms;
  script.itl = 1ms;
  script.cut_every = cut_every;
  Upstream u;
  u.server = std::make_unique<loadgen::testing::ScriptedServer>(script);
  EXPECT_TRUE(u.server->start().is_ok());
  u.worker = start_worker(store, "tiny", {"--model-version", version, "--upstream", u.server->base_url()});
  return u;
}

int models_cli(const TurbineProcess& frontend, const std::string& args) {
  const std::string cmd = std::string(TURBINE_BINARY) + " models --url " + frontend.address() + " --admin-key " +
                          kAdminKey + " " + args + " >/dev/null 2>&1";
  return std::system(cmd.c_str());
}

TEST(ClusterRegistry, WeightsSplitTrafficBetweenVersions) {
  EtcdProcess etcd;
  ASSERT_EQ(etcd.start(), "");
  Upstream v1 = start_version(etcd.url(), "v1");
  Upstream v2 = start_version(etcd.url(), "v2");
  auto frontend = start_frontend(etcd.url(), {"--admin-key", kAdminKey});
  ASSERT_TRUE(eventually([&] { return num_instances(*frontend) == 2; })) << frontend->log();
  ASSERT_EQ(models_cli(*frontend, "set-weight tiny v1 80"), 0);
  ASSERT_EQ(models_cli(*frontend, "set-weight tiny v2 20"), 0);
  // Without the key the admin API refuses.
  EXPECT_NE(std::system((std::string(TURBINE_BINARY) + " models --url " + frontend->address() +
                         " --admin-key wrong list >/dev/null 2>&1").c_str()), 0);

  const int n = 300;
  for (int i = 0; i < n; ++i) {
    auto r = http_post(frontend->address() + "/v1/chat/completions", chat("tiny", "split " + std::to_string(i), 3));
    ASSERT_EQ(r.status, 200) << r.body;
  }
  const double share = double(v2.server->num_requests()) / n;
  EXPECT_EQ(v1.server->num_requests() + v2.server->num_requests(), n);
  EXPECT_GT(share, 0.12) << v2.server->num_requests();
  EXPECT_LT(share, 0.28) << v2.server->num_requests();

  // A pinned version gets everything.
  for (int i = 0; i < 5; ++i)
    EXPECT_EQ(http_post(frontend->address() + "/v1/chat/completions", chat("tiny:v2", "pinned", 3)).status, 200);
  EXPECT_EQ(v1.server->num_requests() + v2.server->num_requests(), n + 5);
}

TEST(ClusterRegistry, FailingCanaryIsRolledBackAndTheEventRecorded) {
  EtcdProcess etcd;
  ASSERT_EQ(etcd.start(), "");
  Upstream stable = start_version(etcd.url(), "v1");
  Upstream canary = start_version(etcd.url(), "v2", /*cut_every=*/2);  // half its streams break
  auto frontend = start_frontend(etcd.url(), {"--admin-key", kAdminKey});
  ASSERT_TRUE(eventually([&] { return num_instances(*frontend) == 2; })) << frontend->log();
  const nlohmann::json entry = {
      {"name", "tiny"},
      {"versions", {{{"version", "v1"}, {"weight", 50}, {"stable", true}}, {{"version", "v2"}, {"weight", 50}}}},
      {"rollback", {{"window_seconds", 60}, {"min_requests", 10}, {"error_rate_margin", 0.1}}}};
  auto set = http_post(frontend->address() + "/admin/models/set", entry.dump(),
                       {{"content-type", "application/json"}, {"authorization", std::string("Bearer ") + kAdminKey}});
  ASSERT_EQ(set.status, 200) << set.body;

  int failed = 0;
  for (int i = 0; i < 80; ++i) {
    auto r = http_post(frontend->address() + "/v1/chat/completions", chat("tiny", "canary " + std::to_string(i), 6));
    failed += r.status != 200;
  }
  EXPECT_GT(failed, 0);
  // The monitor runs every second: v2 goes to weight 0, in the store, with an event.
  auto state = [&] {
    http::ClientRequest q;
    q.url = frontend->address() + "/admin/models";
    q.headers = {{"authorization", std::string("Bearer ") + kAdminKey}};
    auto resp = http::fetch(q);
    return resp.is_ok() ? nlohmann::json::parse(resp->body, nullptr, false) : nlohmann::json();
  };
  ASSERT_TRUE(eventually([&] { return state().dump().find("rolled_back") != std::string::npos; }, 10s)) << state().dump(2);
  // The registry shows its own rollback decision at once; the event is listed once the write to
  // the store comes back through the watch, a moment later.
  std::string events;
  EXPECT_TRUE(eventually(
      [&] {
        http::ClientRequest q;
        q.url = frontend->address() + "/admin/events";
        q.headers = {{"authorization", std::string("Bearer ") + kAdminKey}};
        auto resp = http::fetch(q);
        events = resp.is_ok() ? resp->body : resp.status().message();
        return events.find("rollback") != std::string::npos;
      },
      10s))
      << events;
  EXPECT_NE(events.find("v2"), std::string::npos) << events;

  // From now on the stable version takes everything.
  const int64_t canary_before = canary.server->num_requests();
  for (int i = 0; i < 20; ++i) {
    auto r = http_post(frontend->address() + "/v1/chat/completions", chat("tiny", "after " + std::to_string(i), 6));
    EXPECT_EQ(r.status, 200) << r.body;
  }
  EXPECT_EQ(canary.server->num_requests(), canary_before);
  EXPECT_GE(metric_sum(http_get(frontend->address() + "/metrics").body, "turbine:registry_rollbacks_total"), 1);
}

}  // namespace
}  // namespace turbine::testing
