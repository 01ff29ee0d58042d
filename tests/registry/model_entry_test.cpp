// ModelEntry's JSON: a full round trip, defaults, and one clear error naming the field for each
// kind of bad input.
#include "registry/model_entry.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace turbine::registry {
namespace {

ModelEntry canary_entry() {
  ModelEntry e;
  e.name = "llama-3/8b";
  e.versions = {{.version = "v1", .weight = 90, .stable = true},
                {.version = "v2", .weight = 10},
                {.version = "v0", .weight = 0, .state = VersionState::kRolledBack, .rolled_back_reason = "slow"}};
  e.rollback = {.enabled = false, .window_seconds = 30, .min_requests = 5, .error_rate_margin = 0.1,
                .p99_latency_margin = 0.25};
  return e;
}

// The error for `text`, which must fail to parse.
std::string error_of(const std::string& text) {
  Result<ModelEntry> r = parse_model_entry(text);
  EXPECT_FALSE(r.is_ok()) << text;
  if (r.is_ok()) return "";
  EXPECT_EQ(r.status().code(), ErrorCode::kInvalidArgument);
  return r.status().message();
}

TEST(ModelEntryTest, RoundTripKeepsEveryField) {
  ModelEntry e = canary_entry();
  Result<ModelEntry> back = parse_model_entry(serialize(e));
  ASSERT_TRUE(back.is_ok()) << back.status().message();
  EXPECT_EQ(back->name, e.name);
  ASSERT_EQ(back->versions.size(), 3u);
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(back->versions[i].version, e.versions[i].version);
    EXPECT_EQ(back->versions[i].weight, e.versions[i].weight);
    EXPECT_EQ(back->versions[i].stable, e.versions[i].stable);
    EXPECT_EQ(back->versions[i].state, e.versions[i].state);
    EXPECT_EQ(back->versions[i].rolled_back_reason, e.versions[i].rolled_back_reason);
  }
  EXPECT_FALSE(back->rollback.enabled);
  EXPECT_EQ(back->rollback.window_seconds, 30);
  EXPECT_EQ(back->rollback.min_requests, 5);
  EXPECT_EQ(back->rollback.error_rate_margin, 0.1);
  EXPECT_EQ(back->rollback.p99_latency_margin, 0.25);
  EXPECT_EQ(to_json(*back), to_json(e));
}

TEST(ModelEntryTest, MissingOptionalFieldsTakeDefaults) {
  Result<ModelEntry> e = parse_model_entry(R"({"name": "m", "versions": [{"version": "v1"}]})");
  ASSERT_TRUE(e.is_ok()) << e.status().message();
  EXPECT_EQ(e->versions[0].weight, 0.0);
  EXPECT_FALSE(e->versions[0].stable);
  EXPECT_EQ(e->versions[0].state, VersionState::kActive);
  EXPECT_TRUE(e->rollback.enabled);
  EXPECT_EQ(e->rollback.window_seconds, 60.0);
  EXPECT_EQ(e->rollback.min_requests, 20);

  Result<ModelEntry> bare = parse_model_entry(R"({"name": "m"})");
  ASSERT_TRUE(bare.is_ok());
  EXPECT_TRUE(bare->versions.empty());
}

TEST(ModelEntryTest, MalformedJsonIsInvalidArgument) {
  EXPECT_NE(error_of("{\"name\": ").find("malformed JSON"), std::string::npos);
  EXPECT_NE(error_of("[1, 2]").find("expected a JSON object"), std::string::npos);
  EXPECT_NE(error_of(std::string(10000, '[')).find("nested deeper"), std::string::npos);
}

TEST(ModelEntryTest, ErrorsNameTheField) {
  EXPECT_EQ(error_of(R"({"versions": []})"), "name: required");
  EXPECT_NE(error_of(R"({"name": ""})").find("name: must not be empty"), std::string::npos);
  EXPECT_NE(error_of(R"({"name": "a b"})").find("name: \"a b\" has a character outside"), std::string::npos);
  EXPECT_EQ(error_of(R"({"name": 5})"), "name: expected a string, got number");
  EXPECT_EQ(error_of(R"({"name": "m", "wieght": 1})"), "wieght: unknown field");
  EXPECT_EQ(error_of(R"({"name": "m", "versions": {}})"), "versions: expected an array, got object");
  EXPECT_EQ(error_of(R"({"name": "m", "versions": [{"weight": 1}]})"), "versions[0].version: required");
  EXPECT_NE(error_of(R"({"name": "m", "versions": [{"version": "a:b"}]})").find("versions[0].version"),
            std::string::npos);
  EXPECT_EQ(error_of(R"({"name": "m", "versions": [{"version": "v1", "weight": "ten"}]})"),
            "versions[0].weight: expected a number, got string");
  EXPECT_NE(error_of(R"({"name": "m", "versions": [{"version": "v1", "weight": -1, "stable": true}]})")
                .find("versions[0].weight: must be a finite number >= 0"),
            std::string::npos);
  EXPECT_EQ(error_of(R"({"name": "m", "versions": [{"version": "v1", "state": "paused"}]})"),
            "versions[0].state: \"paused\" is not one of \"active\", \"rolled_back\"");
  EXPECT_NE(error_of(R"({"name": "m", "versions": [{"version": "v1"}, {"version": "v1"}]})")
                .find("versions[1].version: \"v1\" appears twice"),
            std::string::npos);
  EXPECT_EQ(error_of(R"({"name": "m", "versions": [{"version": "v1", "weight": 1, "extra": 1}]})"),
            "versions[0].extra: unknown field");
  EXPECT_EQ(error_of(R"({"name": "m", "rollback": {"min_requests": 2.5}})"),
            "rollback.min_requests: expected an integer, got number");
  EXPECT_NE(error_of(R"({"name": "m", "rollback": {"window_seconds": 0}})").find("rollback.window_seconds"),
            std::string::npos);
  EXPECT_NE(error_of(R"({"name": "m", "rollback": {"min_requests": 0}})").find("rollback.min_requests"),
            std::string::npos);
  EXPECT_NE(error_of(R"({"name": "m", "rollback": {"error_rate_margin": 2}})").find("rollback.error_rate_margin"),
            std::string::npos);
  EXPECT_NE(error_of(R"({"name": "m", "rollback": {"p99_latency_margin": -0.1}})").find("rollback.p99_latency_margin"),
            std::string::npos);
  EXPECT_EQ(error_of(R"({"name": "m", "rollback": {"enabled": "yes"}})"),
            "rollback.enabled: expected a boolean, got string");
}

TEST(ModelEntryTest, StableVersionRules) {
  // A weight needs exactly one stable version.
  EXPECT_NE(error_of(R"({"name": "m", "versions": [{"version": "v1", "weight": 1}]})").find("must be marked stable"),
            std::string::npos);
  EXPECT_NE(error_of(R"({"name": "m", "versions": [{"version": "v1", "stable": true},
                                                  {"version": "v2", "stable": true}]})")
                .find("more than one version is marked stable"),
            std::string::npos);
  // No weights at all: no stable version needed.
  EXPECT_TRUE(parse_model_entry(R"({"name": "m", "versions": [{"version": "v1"}]})").is_ok());
  // Rolled back means weight 0, and never the stable version.
  EXPECT_NE(error_of(R"({"name": "m", "versions": [{"version": "v1", "weight": 1, "stable": true},
                        {"version": "v2", "weight": 1, "state": "rolled_back"}]})")
                .find("versions[1].weight: a rolled_back version must have weight 0"),
            std::string::npos);
  EXPECT_NE(error_of(R"({"name": "m", "versions": [{"version": "v1", "stable": true, "state": "rolled_back"}]})")
                .find("versions[0].state: the stable version cannot be rolled_back"),
            std::string::npos);
}

TEST(ModelEntryTest, FindVersionAndStable) {
  ModelEntry e = canary_entry();
  ASSERT_NE(e.find_version("v2"), nullptr);
  EXPECT_EQ(e.find_version("v2")->weight, 10);
  EXPECT_EQ(e.find_version("v9"), nullptr);
  ASSERT_NE(e.stable_version(), nullptr);
  EXPECT_EQ(e.stable_version()->version, "v1");
}

TEST(ModelEntryTest, NameRules) {
  EXPECT_TRUE(validate_model_name("Qwen/Qwen2.5-0.5B-Instruct", "name").is_ok());
  EXPECT_TRUE(validate_model_name("qwen2:7b", "name").is_ok());
  EXPECT_FALSE(validate_version_name("7:b", "version").is_ok());
  EXPECT_FALSE(validate_model_name(std::string(201, 'a'), "name").is_ok());
  EXPECT_FALSE(validate_model_name("a\"b", "name").is_ok());
}

}  // namespace
}  // namespace turbine::registry
