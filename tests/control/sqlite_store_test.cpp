// What only the SQLite store does: survive reopening its file, reap leases that ended while it
// was closed, and name the file in its errors.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "control/sqlite_store.h"
#include "tests/control/store_test_util.h"

namespace turbine::control {
namespace {

using namespace std::chrono_literals;

class SqliteStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = std::filesystem::temp_directory_path() / "turbine-sqlite-XXXXXX";
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
    path_ = dir_ + "/state.db";
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::unique_ptr<SqliteStore> open() {
    auto store = SqliteStore::open(path_);
    EXPECT_TRUE(store.is_ok()) << store.status().message();
    return store.is_ok() ? std::move(store).value() : nullptr;
  }

  std::string dir_;
  std::string path_;
};

TEST_F(SqliteStoreTest, StateSurvivesReopen) {
  int64_t revision = 0;
  LeaseId lease = 0;
  {
    auto store = open();
    ASSERT_TRUE(store);
    EXPECT_EQ(store->url(), "sqlite:" + path_);
    ASSERT_TRUE(store->put("/models/a", "v1").is_ok());
    ASSERT_TRUE(store->put("/models/b", "v2").is_ok());
    auto granted = store->grant_lease(60s);
    ASSERT_TRUE(granted.is_ok());
    lease = *granted;
    ASSERT_TRUE(store->put("/workers/w1", "up", lease).is_ok());
    revision = *store->revision();
  }
  auto store = open();
  ASSERT_TRUE(store);
  auto kvs = store->get_prefix("/models/");
  ASSERT_TRUE(kvs.is_ok());
  ASSERT_EQ(kvs->size(), 2u);
  EXPECT_EQ((*kvs)[1].value, "v2");
  EXPECT_EQ(*store->revision(), revision);
  auto worker = store->get("/workers/w1");  // its lease has 60 s left
  ASSERT_TRUE(worker.is_ok() && worker->has_value());
  EXPECT_EQ((*worker)->lease, lease);
  EXPECT_TRUE(store->keep_alive(lease).is_ok());
  // Revisions and lease ids go on from where they were.
  ASSERT_TRUE(store->put("/models/c", "v3").is_ok());
  EXPECT_GT((*store->get("/models/c"))->mod_revision, revision);
  auto next_lease = store->grant_lease(60s);
  ASSERT_TRUE(next_lease.is_ok());
  EXPECT_GT(*next_lease, lease);
}

TEST_F(SqliteStoreTest, LeasesThatEndedWhileClosedAreReapedOnOpen) {
  LeaseId lease = 0;
  {
    auto store = open();
    ASSERT_TRUE(store);
    lease = *store->grant_lease(1s);
    ASSERT_TRUE(store->put("/workers/w1", "up", lease).is_ok());
    ASSERT_TRUE(store->put("/models/a", "v1").is_ok());
  }
  std::this_thread::sleep_for(1100ms);
  auto store = open();
  ASSERT_TRUE(store);
  testing::WatchRecorder recorder;
  auto watch = store->watch_prefix("/", recorder.handlers());
  ASSERT_TRUE(watch.is_ok());
  EXPECT_EQ(recorder.wait_for(1), (std::vector<std::string>{"S /models/a=v1"}));
  EXPECT_EQ(store->keep_alive(lease).code(), ErrorCode::kNotFound);
}

TEST_F(SqliteStoreTest, EmptyPrefixMeansEverything) {
  auto store = open();
  ASSERT_TRUE(store);
  ASSERT_TRUE(store->put("b", "2").is_ok());
  ASSERT_TRUE(store->put(std::string("\xff\xff", 2), "3").is_ok());
  ASSERT_TRUE(store->put("a", "1").is_ok());
  auto kvs = store->get_prefix("");
  ASSERT_TRUE(kvs.is_ok());
  ASSERT_EQ(kvs->size(), 3u);
  EXPECT_EQ((*kvs)[0].key, "a");
  EXPECT_EQ((*kvs)[2].key, std::string("\xff\xff", 2));
  kvs = store->get_prefix(std::string("\xff", 1));  // no upper bound
  ASSERT_TRUE(kvs.is_ok());
  EXPECT_EQ(kvs->size(), 1u);
}

TEST_F(SqliteStoreTest, MemoryStoreIsItsOwn) {
  auto first = SqliteStore::open(":memory:");
  auto second = SqliteStore::open(":memory:");
  ASSERT_TRUE(first.is_ok() && second.is_ok());
  ASSERT_TRUE((*first)->put("a", "1").is_ok());
  EXPECT_FALSE((*second)->get("a")->has_value());
  EXPECT_EQ((*first)->url(), "sqlite::memory:");
}

TEST_F(SqliteStoreTest, ErrorsNameTheFile) {
  auto missing_dir = SqliteStore::open(dir_ + "/no/such/dir/state.db");
  ASSERT_FALSE(missing_dir.is_ok());
  EXPECT_EQ(missing_dir.status().code(), ErrorCode::kIoError);
  EXPECT_NE(missing_dir.status().message().find(dir_ + "/no/such/dir/state.db"), std::string::npos)
      << missing_dir.status().message();

  std::ofstream(path_) << "this is not an SQLite database, just some text long enough to matter\n";
  auto not_a_database = SqliteStore::open(path_);
  ASSERT_FALSE(not_a_database.is_ok());
  EXPECT_EQ(not_a_database.status().code(), ErrorCode::kIoError);
  EXPECT_NE(not_a_database.status().message().find(path_), std::string::npos)
      << not_a_database.status().message();
}

TEST_F(SqliteStoreTest, WatchDestroyedAfterTheStoreIsHarmless) {
  auto store = open();
  ASSERT_TRUE(store);
  testing::WatchRecorder recorder;
  auto watch = store->watch_prefix("/", recorder.handlers());
  ASSERT_TRUE(watch.is_ok());
  store.reset();
  watch->reset();
}

}  // namespace
}  // namespace turbine::control
