// What only the etcd store does: talk to a process that can go away and come back. Each test
// runs its own etcd (tests/control/etcd_fixture.h).
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "control/etcd_store.h"
#include "tests/control/etcd_fixture.h"
#include "tests/control/store_test_util.h"

namespace turbine::control {
namespace {

using namespace std::chrono_literals;
using testing::eventually;
using testing::WatchRecorder;

class EtcdStoreTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_EQ(etcd_.start(), ""); }

  std::unique_ptr<EtcdStore> open(EtcdOptions options = {}) {
    auto store = EtcdStore::open(etcd_.url(), options);
    EXPECT_TRUE(store.is_ok()) << store.status().message();
    return store.is_ok() ? std::move(store).value() : nullptr;
  }

  turbine::testing::EtcdProcess etcd_;
};

TEST(EtcdGatewayTest, Base64RoundTrip) {
  for (const std::string& bytes : {std::string(), std::string("a"), std::string("ab"), std::string("abc"),
                                   std::string("\0\xff\x10 etcd", 9)}) {
    EXPECT_EQ(base64_decode(base64_encode(bytes)), bytes);
  }
  EXPECT_EQ(base64_encode("abcd"), "YWJjZA==");
  EXPECT_EQ(base64_decode("YWJjZA"), "abcd");
  EXPECT_EQ(base64_decode("YW*j"), std::nullopt);
}

TEST_F(EtcdStoreTest, UrlAndDefaultPort) {
  auto store = open();
  ASSERT_TRUE(store);
  EXPECT_EQ(store->url(), etcd_.url());
  auto no_port = EtcdStore::open("etcd://127.0.0.1");  // 2379: nothing listens there in tests
  if (!no_port.is_ok()) {
    EXPECT_NE(no_port.status().message().find("127.0.0.1:2379"), std::string::npos);
  }
}

TEST_F(EtcdStoreTest, UnreachableIsUnavailableQuickly) {
  auto store = open();
  ASSERT_TRUE(store);
  etcd_.stop();
  const auto start = std::chrono::steady_clock::now();
  auto kv = store->get("/a");
  ASSERT_FALSE(kv.is_ok());
  EXPECT_EQ(kv.status().code(), ErrorCode::kUnavailable);
  EXPECT_NE(kv.status().message().find(etcd_.url()), std::string::npos) << kv.status().message();
  EXPECT_EQ(store->put("/a", "1").code(), ErrorCode::kUnavailable);
  EXPECT_EQ(store->grant_lease(5s).status().code(), ErrorCode::kUnavailable);
  EXPECT_EQ(store->watch_prefix("/", {}).status().code(), ErrorCode::kUnavailable);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 10s);

  auto reopened = EtcdStore::open(etcd_.url());
  ASSERT_FALSE(reopened.is_ok());
  EXPECT_EQ(reopened.status().code(), ErrorCode::kUnavailable);
  EXPECT_NE(reopened.status().message().find(etcd_.url()), std::string::npos);
}

TEST_F(EtcdStoreTest, LeaseKeepsItsTtlMinimum) {
  auto store = open();
  ASSERT_TRUE(store);
  auto lease = store->grant_lease(1s);  // at this fixture's election timeout, 1 s is allowed
  ASSERT_TRUE(lease.is_ok()) << lease.status().message();
  EXPECT_NE(*lease, 0);
}

TEST_F(EtcdStoreTest, WatchGetsAFreshSnapshotAfterRestart) {
  auto store = open();
  ASSERT_TRUE(store);
  ASSERT_TRUE(store->put("/w/a", "1").is_ok());
  WatchRecorder recorder;
  auto watch = store->watch_prefix("/w/", recorder.handlers());
  ASSERT_TRUE(watch.is_ok());
  ASSERT_TRUE(store->put("/w/b", "2").is_ok());
  ASSERT_EQ(recorder.wait_for(2).size(), 2u);

  ASSERT_EQ(etcd_.restart(), "");
  ASSERT_TRUE(store->put("/w/c", "3").is_ok());
  // The stream broke: a fresh snapshot (with /w/c, or without it and then its event).
  ASSERT_TRUE(eventually([&] { return recorder.num_snapshots() == 2; }));
  ASSERT_TRUE(store->put("/w/d", "4").is_ok());
  ASSERT_TRUE(eventually([&] {
    auto lines = recorder.lines();
    return !lines.empty() && lines.back() == "P /w/d=4";
  }));
  const auto lines = recorder.lines();
  EXPECT_EQ(lines[0], "S /w/a=1");
  EXPECT_EQ(lines[1], "P /w/b=2");
  const bool c_in_snapshot = lines[2] == "S /w/a=1,/w/b=2,/w/c=3";
  const bool c_as_event = lines[2] == "S /w/a=1,/w/b=2" && lines.size() == 5 && lines[3] == "P /w/c=3";
  EXPECT_TRUE(c_in_snapshot || c_as_event) << ::testing::PrintToString(lines);
}

TEST_F(EtcdStoreTest, WatchSurvivesAWipedEtcd) {
  auto store = open();
  ASSERT_TRUE(store);
  ASSERT_TRUE(store->put("/w/a", "1").is_ok());
  WatchRecorder recorder;
  auto watch = store->watch_prefix("/w/", recorder.handlers());
  ASSERT_TRUE(watch.is_ok());
  ASSERT_EQ(recorder.wait_for(1).size(), 1u);
  ASSERT_EQ(etcd_.restart(/*wipe=*/true), "");  // revisions start over at 1
  ASSERT_TRUE(eventually([&] { return recorder.num_snapshots() == 2; }));
  ASSERT_TRUE(store->put("/w/b", "2").is_ok());
  EXPECT_EQ(recorder.wait_for(3), (std::vector<std::string>{"S /w/a=1", "S ", "P /w/b=2"}));
}

TEST_F(EtcdStoreTest, IdleStreamReopensWithoutSnapshotOrLoss) {
  EtcdOptions options;
  options.watch.idle_timeout = 200ms;
  auto store = open(options);
  ASSERT_TRUE(store);
  WatchRecorder recorder;
  auto watch = store->watch_prefix("/w/", recorder.handlers());
  ASSERT_TRUE(watch.is_ok());
  for (int i = 0; i < 5; ++i) {
    std::this_thread::sleep_for(300ms);  // past the idle timeout: the stream was reopened
    ASSERT_TRUE(store->put("/w/" + std::to_string(i), "v").is_ok());
  }
  const auto lines = recorder.wait_for(6);
  ASSERT_EQ(lines.size(), 6u) << ::testing::PrintToString(lines);
  EXPECT_EQ(lines[0], "S ");
  for (int i = 0; i < 5; ++i) EXPECT_EQ(lines[1 + i], "P /w/" + std::to_string(i) + "=v");
  EXPECT_EQ(recorder.num_snapshots(), 1u);
}

TEST_F(EtcdStoreTest, CompactedRevisionGivesAFreshSnapshot) {
  EtcdOptions options;
  options.watch.idle_timeout = 200ms;
  auto store = open(options);
  ASSERT_TRUE(store);
  ASSERT_TRUE(store->put("/w/a", "1").is_ok());
  WatchRecorder recorder;
  auto watch = store->watch_prefix("/w/", recorder.handlers());
  ASSERT_TRUE(watch.is_ok());
  ASSERT_EQ(recorder.wait_for(1).size(), 1u);
  // Writes outside the prefix move the revision on; compacting them away leaves the watch's
  // resume point (its snapshot + 1) behind the compaction when it next reopens its stream.
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(store->put("/other", std::to_string(i)).is_ok());
  auto head = store->get("/other");
  ASSERT_TRUE(head.is_ok() && head->has_value());
  auto compacted = http::fetch({.method = "POST",
                                .url = etcd_.http_url() + "/v3/kv/compaction",
                                .headers = {},
                                .body = nlohmann::json{{"revision", std::to_string((*head)->mod_revision)}}.dump(),
                                .timeout = 5000ms});
  ASSERT_TRUE(compacted.is_ok() && compacted->status == 200);
  ASSERT_TRUE(eventually([&] { return recorder.num_snapshots() == 2; }));
  ASSERT_TRUE(store->put("/w/b", "2").is_ok());
  EXPECT_EQ(recorder.wait_for(3), (std::vector<std::string>{"S /w/a=1", "S /w/a=1", "P /w/b=2"}));
}

TEST_F(EtcdStoreTest, WatchStopsPromptlyWhileEtcdIsDown) {
  auto store = open();
  ASSERT_TRUE(store);
  WatchRecorder recorder;
  auto watch = store->watch_prefix("/w/", recorder.handlers());
  ASSERT_TRUE(watch.is_ok());
  ASSERT_EQ(recorder.wait_for(1).size(), 1u);
  etcd_.stop();
  std::this_thread::sleep_for(500ms);  // the watch is now retrying with backoff
  const auto start = std::chrono::steady_clock::now();
  watch->reset();
  EXPECT_LT(std::chrono::steady_clock::now() - start, 5s);
}

TEST_F(EtcdStoreTest, LeasesSurviveARestartWithTheirData) {
  auto store = open();
  ASSERT_TRUE(store);
  auto lease = store->grant_lease(30s);
  ASSERT_TRUE(lease.is_ok());
  ASSERT_TRUE(store->put("/workers/w1", "up", *lease).is_ok());
  ASSERT_EQ(etcd_.restart(), "");
  EXPECT_TRUE(store->keep_alive(*lease).is_ok());
  auto kv = store->get("/workers/w1");
  ASSERT_TRUE(kv.is_ok() && kv->has_value());
  ASSERT_EQ(etcd_.restart(/*wipe=*/true), "");
  EXPECT_EQ(store->keep_alive(*lease).code(), ErrorCode::kNotFound);
}

}  // namespace
}  // namespace turbine::control
