// open_store(): which URL opens which store, and the errors for the others.
#include <gtest/gtest.h>

#include <filesystem>

#include "control/store.h"
#include "tests/control/etcd_fixture.h"

namespace turbine::control {
namespace {

using namespace std::chrono_literals;

TEST(OpenStoreTest, SqliteForms) {
  auto memory = open_store("sqlite::memory:");
  ASSERT_TRUE(memory.is_ok()) << memory.status().message();
  EXPECT_EQ((*memory)->url(), "sqlite::memory:");
  ASSERT_TRUE((*memory)->put("a", "1").is_ok());

  std::string dir = std::filesystem::temp_directory_path() / "turbine-open-XXXXXX";
  ASSERT_NE(mkdtemp(dir.data()), nullptr);
  {
    auto plain = open_store(dir + "/plain.db");
    ASSERT_TRUE(plain.is_ok()) << plain.status().message();
    EXPECT_EQ((*plain)->url(), "sqlite:" + dir + "/plain.db");
    auto prefixed = open_store("sqlite:" + dir + "/prefixed.db");
    ASSERT_TRUE(prefixed.is_ok()) << prefixed.status().message();
    EXPECT_EQ((*prefixed)->url(), "sqlite:" + dir + "/prefixed.db");
    EXPECT_TRUE(std::filesystem::exists(dir + "/prefixed.db"));
  }
  std::filesystem::remove_all(dir);
}

TEST(OpenStoreTest, BadUrls) {
  for (const std::string url : {"", "sqlite:", "http://127.0.0.1:2379", "redis://x", "etcd://host/path",
                                "etcd://a:1,b:2", "etcd://:2379"}) {
    auto store = open_store(url);
    ASSERT_FALSE(store.is_ok()) << url;
    EXPECT_EQ(store.status().code(), ErrorCode::kInvalidArgument) << url << ": " << store.status().message();
    if (!url.empty()) {
      EXPECT_NE(store.status().message().find(url), std::string::npos) << store.status().message();
    }
  }
}

TEST(OpenStoreTest, UnreachableEtcdIsUnavailableAndNamed) {
  const std::string url = "etcd://127.0.0.1:" + std::to_string(turbine::testing::EtcdProcess::free_port());
  const auto start = std::chrono::steady_clock::now();
  auto store = open_store(url);
  ASSERT_FALSE(store.is_ok());
  EXPECT_EQ(store.status().code(), ErrorCode::kUnavailable);
  EXPECT_NE(store.status().message().find(url), std::string::npos) << store.status().message();
  EXPECT_LT(std::chrono::steady_clock::now() - start, 10s);
}

TEST(OpenStoreTest, LiveEtcd) {
  turbine::testing::EtcdProcess etcd;
  ASSERT_EQ(etcd.start(), "");
  auto store = open_store(etcd.url());
  ASSERT_TRUE(store.is_ok()) << store.status().message();
  EXPECT_EQ((*store)->url(), etcd.url());
  ASSERT_TRUE((*store)->put("/a", "1").is_ok());
  EXPECT_EQ((*(*store)->get("/a"))->value, "1");
}

}  // namespace
}  // namespace turbine::control
