// The admin API over a real server on port 0 and the blocking client: the key (missing, wrong,
// not configured), a set / weight / alias round trip, and 400s for bad bodies.
#include "registry/admin_api.h"

#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>

#include <nlohmann/json.hpp>

#include "control/sqlite_store.h"
#include "http/client.h"

namespace turbine::registry {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

constexpr const char* kKey = "s3cret-admin-key";

class AdminApiTest : public ::testing::Test {
 protected:
  void start(std::string admin_key) {
    auto store = control::SqliteStore::open(":memory:");
    ASSERT_TRUE(store.is_ok()) << store.status().message();
    store_ = std::move(store).value();
    auto registry = ModelRegistry::open(*store_, {.evaluate_interval = 0ms});
    ASSERT_TRUE(registry.is_ok()) << registry.status().message();
    registry_ = std::move(registry).value();
    api_ = std::make_unique<AdminApi>(
        *registry_, AdminApiOptions{.admin_key = std::move(admin_key), .live_versions = [] {
                                      return std::vector<std::pair<std::string, std::string>>{{"llama", "v1"}};
                                    }});
    api_->add_routes(server_);
    ASSERT_TRUE(server_.start("127.0.0.1", 0).is_ok());
  }
  void TearDown() override {
    server_.stop();
    api_.reset();
  }

  // The answer to `method path` with `body`; `key` null sends no authorization header.
  http::ClientResponse call(const std::string& method, const std::string& path, const std::string& body = "",
                            const char* key = kKey) {
    http::ClientRequest request{.method = method,
                                .url = "http://127.0.0.1:" + std::to_string(server_.port()) + path,
                                .body = body};
    if (key != nullptr) request.headers.emplace_back("authorization", std::string("Bearer ") + key);
    Result<http::ClientResponse> response = http::fetch(request);
    EXPECT_TRUE(response.is_ok()) << response.status().message();
    return response.is_ok() ? std::move(response).value() : http::ClientResponse{};
  }

  static json body_of(const http::ClientResponse& response) {
    return json::parse(response.body, nullptr, /*allow_exceptions=*/false);
  }

  std::unique_ptr<control::SqliteStore> store_;
  std::unique_ptr<ModelRegistry> registry_;
  std::unique_ptr<AdminApi> api_;
  http::Server server_;
};

const char* kEntry = R"({"name": "llama", "versions": [{"version": "v1", "weight": 90, "stable": true},
                                                      {"version": "v2", "weight": 10}]})";

TEST_F(AdminApiTest, MissingOrWrongKeyIs401) {
  start(kKey);
  for (const char* path : {"/admin/models", "/admin/events"}) {
    http::ClientResponse missing = call("GET", path, "", nullptr);
    EXPECT_EQ(missing.status, 401);
    EXPECT_EQ(body_of(missing)["error"]["type"], "authentication_error");
    EXPECT_EQ(call("GET", path, "", "wrong").status, 401);
    EXPECT_EQ(call("GET", path, "", "s3cret-admin-ke").status, 401);   // a prefix
    EXPECT_EQ(call("GET", path, "", "s3cret-admin-keyy").status, 401);  // longer
  }
  http::ClientResponse wrong = call("POST", "/admin/models/set", kEntry, "wrong");
  EXPECT_EQ(wrong.status, 401);
  EXPECT_EQ(wrong.header("www-authenticate").value_or(""), "Bearer");
  EXPECT_FALSE(registry_->get("llama").has_value());  // nothing written
  EXPECT_EQ(call("GET", "/admin/models").status, 200);
}

TEST_F(AdminApiTest, NoKeyConfiguredIs403) {
  start("");
  for (const char* key : {static_cast<const char*>(nullptr), "", "anything"}) {
    http::ClientResponse response = call("GET", "/admin/models", "", key);
    EXPECT_EQ(response.status, 403);
    EXPECT_EQ(body_of(response)["error"]["message"], "admin API disabled: start with --admin-key");
    EXPECT_EQ(body_of(response)["error"]["type"], "permission_error");
  }
  EXPECT_EQ(call("POST", "/admin/models/set", kEntry).status, 403);
}

TEST_F(AdminApiTest, AuthorizedComparesTheWholeKey) {
  EXPECT_TRUE(AdminApi::authorized("k1", "Bearer k1"));
  EXPECT_TRUE(AdminApi::authorized("k1", "bearer k1"));
  EXPECT_FALSE(AdminApi::authorized("k1", "Bearer k2"));
  EXPECT_FALSE(AdminApi::authorized("k1", "k1"));
  EXPECT_FALSE(AdminApi::authorized("k1", std::nullopt));
  EXPECT_FALSE(AdminApi::authorized("", "Bearer "));
}

TEST_F(AdminApiTest, SetWeightAliasRoundTrip) {
  start(kKey);
  http::ClientResponse set = call("POST", "/admin/models/set", kEntry);
  ASSERT_EQ(set.status, 200) << set.body;
  EXPECT_EQ(body_of(set)["model"]["versions"][1]["weight"], 10);

  http::ClientResponse weight = call("POST", "/admin/models/weight", R"({"model": "llama", "version": "v2", "weight": 50})");
  ASSERT_EQ(weight.status, 200) << weight.body;
  EXPECT_EQ(body_of(weight)["model"]["versions"][1]["weight"], 50);

  ASSERT_EQ(call("POST", "/admin/models/stable", R"({"model": "llama", "version": "v2"})").status, 200);
  ASSERT_EQ(call("POST", "/admin/aliases/set", R"({"alias": "gpt-4", "model": "llama"})").status, 200);

  http::ClientResponse list = call("GET", "/admin/models");
  ASSERT_EQ(list.status, 200);
  json listed = body_of(list);
  ASSERT_EQ(listed["models"].size(), 1u);
  EXPECT_EQ(listed["models"][0]["name"], "llama");
  EXPECT_EQ(listed["models"][0]["versions"][1]["weight"], 50);
  EXPECT_EQ(listed["models"][0]["versions"][1]["stable"], true);
  EXPECT_EQ(listed["aliases"]["gpt-4"], "llama");
  EXPECT_EQ(listed["live"][0]["version"], "v1");

  http::ClientResponse events = call("GET", "/admin/events?limit=2");
  ASSERT_EQ(events.status, 200);
  json ev = body_of(events)["events"];
  ASSERT_EQ(ev.size(), 2u);
  EXPECT_EQ(ev[0]["kind"], "set_alias");
  EXPECT_EQ(ev[1]["kind"], "set_stable");
  EXPECT_EQ(ev[1]["model"], "llama");
  EXPECT_TRUE(ev[1]["time"].is_string());
  EXPECT_EQ(body_of(call("GET", "/admin/events"))["events"].size(), 4u);

  ASSERT_EQ(call("POST", "/admin/aliases/remove", R"({"alias": "gpt-4"})").status, 200);
  ASSERT_EQ(call("POST", "/admin/models/remove", R"({"model": "llama", "version": "v1"})").status, 200);
  EXPECT_EQ(registry_->get("llama")->versions.size(), 1u);
  ASSERT_EQ(call("POST", "/admin/models/remove", R"({"model": "llama"})").status, 200);
  EXPECT_FALSE(registry_->get("llama").has_value());
  EXPECT_TRUE(registry_->aliases().empty());
}

TEST_F(AdminApiTest, BadBodiesAre400) {
  start(kKey);
  auto expect_400 = [&](const std::string& path, const std::string& body, const std::string& words) {
    http::ClientResponse response = call("POST", path, body);
    EXPECT_EQ(response.status, 400) << path << " " << body;
    json error = body_of(response)["error"];
    EXPECT_EQ(error["type"], "invalid_request_error");
    EXPECT_NE(error["message"].get<std::string>().find(words), std::string::npos) << error.dump();
  };
  expect_400("/admin/models/set", "{not json", "malformed JSON");
  expect_400("/admin/models/set", "[]", "expected a JSON object");
  expect_400("/admin/models/set", R"({"name": "m", "versions": [{"version": "v1", "weight": -1}]})",
             "versions[0].weight");
  expect_400("/admin/models/weight", R"({"model": "m", "version": "v1"})", "weight: required");
  expect_400("/admin/models/weight", R"({"model": "m", "version": "v1", "weight": "x"})", "weight: expected a number");
  expect_400("/admin/models/weight", R"({"model": "m", "version": "v1", "weight": 1, "x": 1})", "x: unknown field");
  expect_400("/admin/aliases/set", R"({"alias": "a"})", "model: required");
  expect_400("/admin/aliases/set", R"({"alias": 5, "model": "m"})", "alias: expected a string");
  expect_400("/admin/aliases/set", R"({"alias": "a b", "model": "m"})", "alias:");
  // Unknown things are 404, with the same error shape.
  http::ClientResponse unknown = call("POST", "/admin/models/stable", R"({"model": "m", "version": "v1"})");
  EXPECT_EQ(unknown.status, 404);
  EXPECT_EQ(body_of(unknown)["error"]["type"], "not_found_error");
  EXPECT_EQ(call("GET", "/admin/events?limit=0").status, 400);
  EXPECT_EQ(call("GET", "/admin/events?limit=abc").status, 400);
}

}  // namespace
}  // namespace turbine::registry
