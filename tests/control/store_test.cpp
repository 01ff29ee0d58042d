// The Store contract, checked on both implementations: SQLite (":memory:") and a real etcd
// (one process shared by these tests; each test works under its own key prefix).
#include <gtest/gtest.h>

#include <atomic>
#include <memory>

#include "control/etcd_store.h"
#include "control/sqlite_store.h"
#include "tests/control/etcd_fixture.h"
#include "tests/control/store_test_util.h"

namespace turbine::control {
namespace {

using namespace std::chrono_literals;
using testing::eventually;
using testing::WatchRecorder;

turbine::testing::EtcdProcess& shared_etcd() {
  static turbine::testing::EtcdProcess etcd;  // killed, and its data removed, at exit
  return etcd;
}

enum class Kind { kSqlite, kEtcd };

class StoreTest : public ::testing::TestWithParam<Kind> {
 protected:
  void SetUp() override {
    static std::atomic<int> next_test{0};
    prefix_ = "/test" + std::to_string(next_test++) + "/";
    if (GetParam() == Kind::kSqlite) {
      auto store = SqliteStore::open(":memory:");
      ASSERT_TRUE(store.is_ok()) << store.status().message();
      store_ = std::move(store).value();
    } else {
      const std::string error = shared_etcd().start();
      ASSERT_EQ(error, "");
      auto store = EtcdStore::open(shared_etcd().url());
      ASSERT_TRUE(store.is_ok()) << store.status().message();
      store_ = std::move(store).value();
    }
  }

  std::string key(const std::string& name) const { return prefix_ + name; }
  bool has(const std::string& name) {
    auto kv = store_->get(key(name));
    EXPECT_TRUE(kv.is_ok()) << kv.status().message();
    return kv.is_ok() && kv->has_value();
  }

  std::string prefix_;
  std::unique_ptr<Store> store_;
};

TEST_P(StoreTest, PutGetErase) {
  EXPECT_FALSE(has("a"));
  ASSERT_TRUE(store_->put(key("a"), "1").is_ok());
  auto kv = store_->get(key("a"));
  ASSERT_TRUE(kv.is_ok() && kv->has_value());
  EXPECT_EQ((*kv)->key, key("a"));
  EXPECT_EQ((*kv)->value, "1");
  EXPECT_EQ((*kv)->lease, 0);
  ASSERT_TRUE(store_->put(key("a"), "2").is_ok());
  EXPECT_EQ((*store_->get(key("a")))->value, "2");

  auto erased = store_->erase(key("a"));
  ASSERT_TRUE(erased.is_ok());
  EXPECT_TRUE(*erased);
  EXPECT_FALSE(has("a"));
  erased = store_->erase(key("a"));
  ASSERT_TRUE(erased.is_ok());
  EXPECT_FALSE(*erased);
}

TEST_P(StoreTest, BytesRoundTrip) {
  const std::string value("\0\xff\x01 binary \n", 12);
  ASSERT_TRUE(store_->put(key(std::string("\0\xfe", 2)), value).is_ok());
  auto kv = store_->get(key(std::string("\0\xfe", 2)));
  ASSERT_TRUE(kv.is_ok() && kv->has_value());
  EXPECT_EQ((*kv)->value, value);
  ASSERT_TRUE(store_->put(key("empty"), "").is_ok());
  kv = store_->get(key("empty"));
  ASSERT_TRUE(kv.is_ok() && kv->has_value());
  EXPECT_EQ((*kv)->value, "");
}

TEST_P(StoreTest, EmptyKeyIsInvalid) {
  EXPECT_EQ(store_->put("", "x").code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(store_->get("").status().code(), ErrorCode::kInvalidArgument);
}

TEST_P(StoreTest, PrefixInKeyOrder) {
  for (const char* name : {"b", "a/2", "a/10", "a/1", "a", "c"}) {
    ASSERT_TRUE(store_->put(key(name), name).is_ok());
  }
  ASSERT_TRUE(store_->put(prefix_.substr(0, prefix_.size() - 1) + "0", "outside").is_ok());
  auto kvs = store_->get_prefix(key("a"));
  ASSERT_TRUE(kvs.is_ok());
  std::vector<std::string> keys;
  for (const auto& kv : *kvs) keys.push_back(kv.key);
  EXPECT_EQ(keys, (std::vector<std::string>{key("a"), key("a/1"), key("a/10"), key("a/2")}));

  kvs = store_->get_prefix(prefix_);
  ASSERT_TRUE(kvs.is_ok());
  EXPECT_EQ(kvs->size(), 6u);
  EXPECT_EQ(kvs->front().key, key("a"));
  EXPECT_EQ(kvs->back().key, key("c"));
}

TEST_P(StoreTest, PrefixEndingInFfBytes) {
  // The range end carries past 0xff bytes: "x\xff" ends at "y".
  for (const std::string& name : {std::string("x\xff"), std::string("x\xff\xff"), std::string("x\xff\x01"),
                                  std::string("x"), std::string("y")}) {
    ASSERT_TRUE(store_->put(key(name), "v").is_ok());
  }
  auto kvs = store_->get_prefix(key("x\xff"));
  ASSERT_TRUE(kvs.is_ok());
  std::vector<std::string> keys;
  for (const auto& kv : *kvs) keys.push_back(kv.key);
  EXPECT_EQ(keys, (std::vector<std::string>{key("x\xff"), key("x\xff\x01"), key("x\xff\xff")}));
}

TEST_P(StoreTest, RevisionsIncrease) {
  ASSERT_TRUE(store_->put(key("a"), "1").is_ok());
  const int64_t first = (*store_->get(key("a")))->mod_revision;
  ASSERT_TRUE(store_->put(key("b"), "1").is_ok());
  ASSERT_TRUE(store_->put(key("a"), "2").is_ok());
  const int64_t second = (*store_->get(key("a")))->mod_revision;
  EXPECT_GT(first, 0);
  EXPECT_GT(second, first);
  EXPECT_GT(second, (*store_->get(key("b")))->mod_revision);
}

TEST_P(StoreTest, PutUnderUnknownLeaseIsNotFound) {
  EXPECT_EQ(store_->put(key("a"), "1", 123456789).code(), ErrorCode::kNotFound);
  EXPECT_FALSE(has("a"));
}

TEST_P(StoreTest, LeaseExpiryDeletesItsKeys) {
  auto lease = store_->grant_lease(1s);
  ASSERT_TRUE(lease.is_ok()) << lease.status().message();
  ASSERT_TRUE(store_->put(key("leased"), "1", *lease).is_ok());
  ASSERT_TRUE(store_->put(key("kept"), "1").is_ok());
  EXPECT_EQ((*store_->get(key("leased")))->lease, *lease);
  EXPECT_TRUE(eventually([&] { return !has("leased"); }));
  EXPECT_TRUE(has("kept"));
  EXPECT_EQ(store_->keep_alive(*lease).code(), ErrorCode::kNotFound);
  EXPECT_EQ(store_->put(key("late"), "1", *lease).code(), ErrorCode::kNotFound);
}

TEST_P(StoreTest, KeepAliveExtendsTheLease) {
  auto lease = store_->grant_lease(2s);
  ASSERT_TRUE(lease.is_ok());
  ASSERT_TRUE(store_->put(key("a"), "1", *lease).is_ok());
  const auto until = std::chrono::steady_clock::now() + 3500ms;  // well past the TTL
  while (std::chrono::steady_clock::now() < until) {
    ASSERT_TRUE(store_->keep_alive(*lease).is_ok());
    std::this_thread::sleep_for(300ms);
  }
  EXPECT_TRUE(has("a"));
  EXPECT_TRUE(eventually([&] { return !has("a"); }));  // once the keep-alives stop
}

TEST_P(StoreTest, RevokeDeletesAtOnce) {
  auto lease = store_->grant_lease(60s);
  ASSERT_TRUE(lease.is_ok());
  ASSERT_TRUE(store_->put(key("a"), "1", *lease).is_ok());
  ASSERT_TRUE(store_->put(key("b"), "1", *lease).is_ok());
  ASSERT_TRUE(store_->revoke_lease(*lease).is_ok());
  EXPECT_FALSE(has("a"));
  EXPECT_FALSE(has("b"));
  EXPECT_EQ(store_->keep_alive(*lease).code(), ErrorCode::kNotFound);
  EXPECT_TRUE(store_->revoke_lease(*lease).is_ok());  // unknown: not an error
}

TEST_P(StoreTest, BadTtlIsInvalid) {
  EXPECT_EQ(store_->grant_lease(0s).status().code(), ErrorCode::kInvalidArgument);
}

TEST_P(StoreTest, WatchSnapshotThenEventsInOrder) {
  ASSERT_TRUE(store_->put(key("w/a"), "1").is_ok());
  ASSERT_TRUE(store_->put(key("w/b"), "2").is_ok());
  ASSERT_TRUE(store_->put(key("other"), "x").is_ok());
  WatchRecorder recorder;
  auto watch = store_->watch_prefix(key("w/"), recorder.handlers());
  ASSERT_TRUE(watch.is_ok()) << watch.status().message();
  ASSERT_TRUE(store_->put(key("w/c"), "3").is_ok());
  ASSERT_TRUE(store_->put(key("other"), "y").is_ok());  // outside the prefix: not seen
  ASSERT_TRUE(store_->put(key("w/a"), "4").is_ok());
  ASSERT_TRUE(store_->erase(key("w/b")).is_ok());
  const std::vector<std::string> expected = {"S " + key("w/a") + "=1," + key("w/b") + "=2",
                                             "P " + key("w/c") + "=3", "P " + key("w/a") + "=4",
                                             "D " + key("w/b")};
  EXPECT_EQ(recorder.wait_for(expected.size()), expected);
  const auto revisions = recorder.revisions();
  EXPECT_TRUE(std::is_sorted(revisions.begin(), revisions.end()));
  std::this_thread::sleep_for(100ms);
  EXPECT_EQ(recorder.lines().size(), expected.size());
}

TEST_P(StoreTest, WatchSeesLeaseExpiry) {
  auto lease = store_->grant_lease(1s);
  ASSERT_TRUE(lease.is_ok());
  WatchRecorder recorder;
  auto watch = store_->watch_prefix(key("w/"), recorder.handlers());
  ASSERT_TRUE(watch.is_ok());
  ASSERT_TRUE(store_->put(key("w/a"), "1", *lease).is_ok());
  const std::vector<std::string> expected = {"S ", "P " + key("w/a") + "=1", "D " + key("w/a")};
  EXPECT_EQ(recorder.wait_for(expected.size()), expected);
}

TEST_P(StoreTest, WatchSeesRevoke) {
  auto lease = store_->grant_lease(60s);
  ASSERT_TRUE(lease.is_ok());
  ASSERT_TRUE(store_->put(key("w/a"), "1", *lease).is_ok());
  ASSERT_TRUE(store_->put(key("w/b"), "2", *lease).is_ok());
  WatchRecorder recorder;
  auto watch = store_->watch_prefix(key("w/"), recorder.handlers());
  ASSERT_TRUE(watch.is_ok());
  ASSERT_TRUE(store_->revoke_lease(*lease).is_ok());
  const std::vector<std::string> expected = {"S " + key("w/a") + "=1," + key("w/b") + "=2",
                                             "D " + key("w/a"), "D " + key("w/b")};
  EXPECT_EQ(recorder.wait_for(expected.size()), expected);
}

TEST_P(StoreTest, DestroyedWatchStopsCallbacks) {
  WatchRecorder recorder;
  auto watch = store_->watch_prefix(key("w/"), recorder.handlers());
  ASSERT_TRUE(watch.is_ok());
  ASSERT_EQ(recorder.wait_for(1).size(), 1u);
  watch->reset();
  ASSERT_TRUE(store_->put(key("w/a"), "1").is_ok());
  std::this_thread::sleep_for(300ms);
  EXPECT_EQ(recorder.lines().size(), 1u);
}

TEST_P(StoreTest, DestructorWaitsForTheCallbackInProgress) {
  std::atomic<bool> in_callback{false};
  std::atomic<int> num_events{0};
  auto watch = store_->watch_prefix(
      key("w/"), {.on_snapshot = [](std::vector<KeyValue>) {},
                  .on_event =
                      [&](const WatchEvent&) {
                        in_callback = true;
                        std::this_thread::sleep_for(300ms);
                        ++num_events;
                        in_callback = false;
                      }});
  ASSERT_TRUE(watch.is_ok());
  ASSERT_TRUE(store_->put(key("w/a"), "1").is_ok());
  ASSERT_TRUE(store_->put(key("w/b"), "1").is_ok());
  ASSERT_TRUE(eventually([&] { return in_callback.load(); }));
  watch->reset();
  EXPECT_FALSE(in_callback);
  EXPECT_EQ(num_events, 1);  // the second event was not delivered after the destructor began
  std::this_thread::sleep_for(400ms);
  EXPECT_EQ(num_events, 1);
}

TEST_P(StoreTest, ManyWatchersEachGetTheirPrefix) {
  WatchRecorder a, b;
  auto watch_a = store_->watch_prefix(key("a/"), a.handlers());
  auto watch_b = store_->watch_prefix(key("b/"), b.handlers());
  ASSERT_TRUE(watch_a.is_ok() && watch_b.is_ok());
  ASSERT_TRUE(store_->put(key("a/1"), "1").is_ok());
  ASSERT_TRUE(store_->put(key("b/1"), "1").is_ok());
  EXPECT_EQ(a.wait_for(2), (std::vector<std::string>{"S ", "P " + key("a/1") + "=1"}));
  EXPECT_EQ(b.wait_for(2), (std::vector<std::string>{"S ", "P " + key("b/1") + "=1"}));
}

INSTANTIATE_TEST_SUITE_P(Stores, StoreTest, ::testing::Values(Kind::kSqlite, Kind::kEtcd),
                         [](const auto& info) { return info.param == Kind::kSqlite ? "Sqlite" : "Etcd"; });

}  // namespace
}  // namespace turbine::control
