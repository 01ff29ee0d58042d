// LeasedRegistration on both stores, and across etcd restarts: the keys are there while it
// lives, come back when the lease is lost, and leave when it stops.
#include <gtest/gtest.h>

#include "control/etcd_store.h"
#include "control/registration.h"
#include "control/sqlite_store.h"
#include "tests/control/etcd_fixture.h"
#include "tests/control/store_test_util.h"

namespace turbine::control {
namespace {

using namespace std::chrono_literals;
using testing::eventually;

bool has(Store& store, const std::string& key, const std::string& value) {
  auto kv = store.get(key);
  return kv.is_ok() && kv->has_value() && (*kv)->value == value;
}

void check_lifecycle(Store& store) {
  std::optional<LeasedRegistration> registration;
  registration.emplace(store, std::map<std::string, std::string>{{"/workers/w1", "addr1"}, {"/load/w1", "0"}}, 2s);
  ASSERT_TRUE(registration->registered()) << registration->last_error().message();
  EXPECT_EQ(registration->num_registrations(), 1);
  EXPECT_EQ(registration->num_reregistrations(), 0);
  EXPECT_TRUE(has(store, "/workers/w1", "addr1"));
  EXPECT_EQ((*store.get("/workers/w1"))->lease, registration->lease());

  ASSERT_TRUE(registration->set("/load/w1", "7").is_ok());
  EXPECT_TRUE(has(store, "/load/w1", "7"));

  std::this_thread::sleep_for(3s);  // past the TTL: the keep-alives hold it
  EXPECT_TRUE(has(store, "/workers/w1", "addr1"));
  EXPECT_EQ(registration->num_registrations(), 1);

  // Someone ends the lease: the keys leave, then come back under a new lease.
  const LeaseId first = registration->lease();
  ASSERT_TRUE(store.revoke_lease(first).is_ok());
  ASSERT_TRUE(eventually([&] { return registration->num_reregistrations() == 1 && registration->registered(); }));
  EXPECT_NE(registration->lease(), first);
  EXPECT_TRUE(has(store, "/workers/w1", "addr1"));
  EXPECT_TRUE(has(store, "/load/w1", "7"));

  registration.reset();  // revokes: gone at once
  EXPECT_FALSE(store.get("/workers/w1")->has_value());
  EXPECT_FALSE(store.get("/load/w1")->has_value());
}

TEST(RegistrationTest, LifecycleOnSqlite) {
  auto store = SqliteStore::open(":memory:");
  ASSERT_TRUE(store.is_ok());
  check_lifecycle(**store);
}

TEST(RegistrationTest, LifecycleOnEtcd) {
  turbine::testing::EtcdProcess etcd;
  ASSERT_EQ(etcd.start(), "");
  auto store = EtcdStore::open(etcd.url());
  ASSERT_TRUE(store.is_ok()) << store.status().message();
  check_lifecycle(**store);
}

TEST(RegistrationTest, KeysArePresentAfterEtcdRestarts) {
  turbine::testing::EtcdProcess etcd;
  ASSERT_EQ(etcd.start(), "");
  auto opened = EtcdStore::open(etcd.url());
  ASSERT_TRUE(opened.is_ok()) << opened.status().message();
  Store& store = **opened;
  LeasedRegistration registration(store, {{"/workers/w1", "addr1"}}, 2s);
  ASSERT_TRUE(registration.registered());

  // A plain restart keeps the data dir, and with it the lease: keep-alives just go on.
  ASSERT_EQ(etcd.restart(), "");
  EXPECT_TRUE(eventually([&] { return has(store, "/workers/w1", "addr1") && registration.registered(); }));

  // A wiped etcd lost the lease and the keys: the registration grants a new lease.
  const int64_t before = registration.num_registrations();
  ASSERT_EQ(etcd.restart(/*wipe=*/true), "");
  // register_anew puts the keys first and counts the registration a moment later, so the keys
  // alone can be seen before the count moves.
  EXPECT_TRUE(eventually([&] {
    return has(store, "/workers/w1", "addr1") && registration.num_registrations() > before;
  }));
  EXPECT_GT(registration.num_registrations(), before);
  EXPECT_TRUE(registration.registered());
}

TEST(RegistrationTest, RegistersOnceEtcdIsBack) {
  turbine::testing::EtcdProcess etcd;
  ASSERT_EQ(etcd.start(), "");
  auto opened = EtcdStore::open(etcd.url());
  ASSERT_TRUE(opened.is_ok());
  Store& store = **opened;
  etcd.stop();
  LeasedRegistration registration(store, {{"/workers/w1", "addr1"}}, 2s);
  EXPECT_FALSE(registration.registered());
  EXPECT_EQ(registration.last_error().code(), ErrorCode::kUnavailable);
  ASSERT_EQ(etcd.start(), "");
  EXPECT_TRUE(eventually([&] { return registration.registered(); }));
  EXPECT_TRUE(has(store, "/workers/w1", "addr1"));
  EXPECT_EQ(registration.num_registrations(), 1);
}

TEST(RegistrationTest, StopIsIdempotent) {
  auto store = SqliteStore::open(":memory:");
  ASSERT_TRUE(store.is_ok());
  LeasedRegistration registration(**store, {{"/k", "v"}}, 5s);
  registration.stop();
  registration.stop();
  EXPECT_FALSE(registration.registered());
  EXPECT_FALSE((*store)->get("/k")->has_value());
}

}  // namespace
}  // namespace turbine::control
