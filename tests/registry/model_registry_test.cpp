// ModelRegistry on a real SQLite store in a temp file: writes and their events, persistence
// across a reopen, two registries on one store seeing each other's changes through the watch,
// and automatic rollback written to the store, visible elsewhere and counted.
#include "registry/model_registry.h"

#include <gtest/gtest.h>

#include <unistd.h>

#include <chrono>
#include <filesystem>

#include "control/sqlite_store.h"
#include "telemetry/metrics_registry.h"
#include "tests/registry/registry_test_util.h"

namespace turbine::registry {
namespace {

using namespace std::chrono_literals;

using testing::eventually;

class ModelRegistryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("turbine_registry_test_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::unique_ptr<control::SqliteStore> open_store() {
    auto store = control::SqliteStore::open((dir_ / "state.db").string());
    EXPECT_TRUE(store.is_ok()) << store.status().message();
    return std::move(store).value();
  }

  // Tests tick by hand unless they ask for the monitor thread.
  static std::unique_ptr<ModelRegistry> open_registry(control::Store& store,
                                                      ModelRegistryOptions options = {.evaluate_interval = 0ms}) {
    auto registry = ModelRegistry::open(store, options);
    EXPECT_TRUE(registry.is_ok()) << registry.status().message();
    return std::move(registry).value();
  }

  static ModelEntry canary(double w1 = 90, double w2 = 10) {
    ModelEntry e;
    e.name = "llama";
    e.versions = {{.version = "v1", .weight = w1, .stable = true}, {.version = "v2", .weight = w2}};
    return e;
  }

  std::filesystem::path dir_;
};

TEST_F(ModelRegistryTest, WritesAreVisibleAtOnceAndRecorded) {
  auto store = open_store();
  auto registry = open_registry(*store);
  ASSERT_TRUE(registry->put_model(canary()).is_ok());
  ASSERT_TRUE(registry->get("llama").has_value());
  EXPECT_EQ(registry->get("llama")->versions.size(), 2u);

  Result<ModelEntry> weighted = registry->set_weight("llama", "v2", 50);
  ASSERT_TRUE(weighted.is_ok()) << weighted.status().message();
  EXPECT_EQ(registry->get("llama")->find_version("v2")->weight, 50);
  // A version not listed yet is added.
  ASSERT_TRUE(registry->set_weight("llama", "v3", 5).is_ok());
  EXPECT_EQ(registry->get("llama")->versions.size(), 3u);
  ASSERT_TRUE(registry->set_stable("llama", "v2").is_ok());
  EXPECT_EQ(registry->get("llama")->stable_version()->version, "v2");
  ASSERT_TRUE(registry->remove_version("llama", "v3").is_ok());
  EXPECT_EQ(registry->get("llama")->find_version("v3"), nullptr);
  ASSERT_TRUE(registry->set_alias("gpt-4", "llama").is_ok());
  EXPECT_EQ(registry->aliases().at("gpt-4"), "llama");

  std::vector<RegistryEvent> events = registry->events(100);
  ASSERT_EQ(events.size(), 6u);
  EXPECT_EQ(events[0].kind, "set_alias");  // newest first
  EXPECT_EQ(events[1].kind, "remove_version");
  EXPECT_EQ(events[2].kind, "set_stable");
  EXPECT_EQ(events[2].reason, "stable v1 -> v2");
  EXPECT_EQ(events[4].kind, "set_weight");
  EXPECT_EQ(events[4].reason, "weight 10 -> 50");
  EXPECT_EQ(events[5].kind, "put_model");
  EXPECT_EQ(registry->events(2).size(), 2u);

  ASSERT_TRUE(registry->remove_alias("gpt-4").is_ok());
  ASSERT_TRUE(registry->remove_model("llama").is_ok());
  EXPECT_FALSE(registry->get("llama").has_value());
  EXPECT_TRUE(registry->aliases().empty());
}

TEST_F(ModelRegistryTest, BadWritesAreRefusedWithClearErrors) {
  auto store = open_store();
  auto registry = open_registry(*store);
  ModelEntry bad = canary();
  bad.versions[0].stable = false;
  EXPECT_EQ(registry->put_model(bad).status().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(registry->set_stable("nobody", "v1").status().code(), ErrorCode::kNotFound);
  ASSERT_TRUE(registry->put_model(canary()).is_ok());
  EXPECT_EQ(registry->set_weight("llama", "v2", -1).status().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(registry->set_stable("llama", "v9").status().code(), ErrorCode::kNotFound);
  EXPECT_EQ(registry->remove_version("llama", "v9").status().code(), ErrorCode::kNotFound);
  // Removing the stable version while another has traffic leaves no baseline.
  Result<ModelEntry> removed = registry->remove_version("llama", "v1");
  EXPECT_EQ(removed.status().code(), ErrorCode::kInvalidArgument);
  EXPECT_NE(removed.status().message().find("stable"), std::string::npos);
  EXPECT_EQ(registry->remove_model("nobody").code(), ErrorCode::kNotFound);
  EXPECT_EQ(registry->remove_alias("nobody").code(), ErrorCode::kNotFound);
  // Aliases are one level and never shadow a model.
  EXPECT_EQ(registry->set_alias("llama", "other").code(), ErrorCode::kInvalidArgument);
  ASSERT_TRUE(registry->set_alias("gpt-4", "llama").is_ok());
  EXPECT_EQ(registry->set_alias("gpt-5", "gpt-4").code(), ErrorCode::kInvalidArgument);
  ModelEntry named_like_alias = canary();
  named_like_alias.name = "gpt-4";
  EXPECT_EQ(registry->put_model(named_like_alias).status().code(), ErrorCode::kInvalidArgument);
  // Nothing of the refused writes reached the store.
  EXPECT_EQ(registry->get("llama")->versions.size(), 2u);
  EXPECT_EQ(registry->list().size(), 1u);
}

TEST_F(ModelRegistryTest, FirstWeightedVersionBecomesStable) {
  auto store = open_store();
  auto registry = open_registry(*store);
  ModelEntry empty;
  empty.name = "phi";
  ASSERT_TRUE(registry->put_model(empty).is_ok());
  ASSERT_TRUE(registry->set_weight("phi", "a", 1).is_ok());
  EXPECT_EQ(registry->get("phi")->stable_version()->version, "a");
  ASSERT_TRUE(registry->set_weight("phi", "b", 1).is_ok());
  EXPECT_EQ(registry->get("phi")->stable_version()->version, "a");
}

TEST_F(ModelRegistryTest, SurvivesReopen) {
  {
    auto store = open_store();
    auto registry = open_registry(*store);
    ASSERT_TRUE(registry->put_model(canary()).is_ok());
    ASSERT_TRUE(registry->set_alias("gpt-4", "llama").is_ok());
  }
  auto store = open_store();
  auto registry = open_registry(*store);
  ASSERT_TRUE(registry->get("llama").has_value());
  EXPECT_EQ(registry->get("llama")->find_version("v2")->weight, 10);
  EXPECT_EQ(registry->aliases().at("gpt-4"), "llama");
  EXPECT_EQ(registry->events().size(), 2u);
}

TEST_F(ModelRegistryTest, TwoRegistriesOnOneStoreSeeEachOther) {
  auto store = open_store();
  auto a = open_registry(*store);
  auto b = open_registry(*store);
  ASSERT_TRUE(a->put_model(canary()).is_ok());
  EXPECT_TRUE(eventually([&] { return b->get("llama").has_value(); }));
  ASSERT_TRUE(b->set_weight("llama", "v2", 30).is_ok());
  EXPECT_TRUE(eventually([&] { return a->get("llama")->find_version("v2")->weight == 30; }));
  ASSERT_TRUE(b->set_alias("gpt-4", "llama").is_ok());
  EXPECT_TRUE(eventually([&] { return a->aliases().count("gpt-4") == 1; }));
  EXPECT_TRUE(eventually([&] { return a->events().size() == 3; }));
  ASSERT_TRUE(a->remove_model("llama").is_ok());
  EXPECT_TRUE(eventually([&] { return !b->get("llama").has_value(); }));
}

TEST_F(ModelRegistryTest, ResolveUsesTheSnapshot) {
  auto store = open_store();
  auto registry = open_registry(*store);
  ASSERT_TRUE(registry->put_model(canary(100, 0)).is_ok());
  ASSERT_TRUE(registry->set_alias("gpt-4", "llama").is_ok());
  std::mt19937_64 rng(7);
  auto all_live = [](std::string_view model, std::string_view) { return model == "llama"; };
  EXPECT_EQ(registry->resolve("gpt-4", all_live, rng), (ResolvedModel{"llama", "v1"}));
  EXPECT_EQ(registry->resolve("llama:v2", all_live, rng), (ResolvedModel{"llama", "v2", true}));
}

// Outcomes that make v2 clearly worse than v1 at `at`.
void record_bad_canary(ModelRegistry& registry, MonitorClock::time_point at) {
  for (int i = 0; i < 50; ++i) {
    registry.record_outcome("llama", "v1", true, 0.1, at);
    registry.record_outcome("llama", "v2", i % 2 == 0, 0.1, at);  // 50% errors
  }
}

TEST_F(ModelRegistryTest, AutomaticRollbackIsWrittenAndSeenElsewhere) {
  auto store = open_store();
  telemetry::MetricsRegistry metrics;
  auto a = open_registry(*store, {.evaluate_interval = 0ms, .metrics = &metrics});
  auto b = open_registry(*store);
  ASSERT_TRUE(a->put_model(canary()).is_ok());
  EXPECT_TRUE(eventually([&] { return b->get("llama").has_value(); }));

  const auto now = MonitorClock::now();
  record_bad_canary(*a, now);
  std::vector<RollbackDecision> decisions = a->tick(now + 1s);
  ASSERT_EQ(decisions.size(), 1u);
  EXPECT_EQ(decisions[0].version, "v2");

  // Here at once: no more traffic to v2.
  const ModelVersion* v2 = a->snapshot()->find_model("llama")->find_version("v2");
  EXPECT_EQ(v2->weight, 0);
  EXPECT_EQ(v2->state, VersionState::kRolledBack);
  EXPECT_NE(v2->rolled_back_reason.find("error rate 0.500"), std::string::npos) << v2->rolled_back_reason;
  std::mt19937_64 rng(3);
  auto all_live = [](std::string_view model, std::string_view) { return model == "llama"; };
  for (int i = 0; i < 100; ++i) EXPECT_EQ(a->resolve("llama", all_live, rng).version, "v1");

  // In the store, so the other registry sees the new weight and the event.
  EXPECT_TRUE(eventually([&] {
    auto entry = b->get("llama");
    return entry && entry->find_version("v2")->state == VersionState::kRolledBack;
  }));
  EXPECT_EQ(b->get("llama")->find_version("v2")->weight, 0);
  EXPECT_TRUE(eventually([&] { return !b->events(1).empty() && b->events(1)[0].kind == "rollback"; }));
  RegistryEvent event = b->events(1)[0];
  EXPECT_EQ(event.model, "llama");
  EXPECT_EQ(event.version, "v2");
  EXPECT_NE(event.reason.find("error rate"), std::string::npos);
  EXPECT_NE(metrics.render().find("turbine:registry_rollbacks_total{model=\"llama\",version=\"v2\"} 1"),
            std::string::npos)
      << metrics.render();

  // Not decided twice; an admin can give it traffic again.
  EXPECT_TRUE(a->tick(now + 2s).empty());
  ASSERT_TRUE(b->set_weight("llama", "v2", 10).is_ok());
  EXPECT_TRUE(eventually([&] { return a->get("llama")->find_version("v2")->state == VersionState::kActive; }));
}

TEST_F(ModelRegistryTest, MonitorThreadRollsBackOnItsOwn) {
  auto store = open_store();
  auto registry = open_registry(*store, {.evaluate_interval = 20ms});
  ASSERT_TRUE(registry->put_model(canary()).is_ok());
  record_bad_canary(*registry, MonitorClock::now());
  EXPECT_TRUE(eventually([&] { return registry->get("llama")->find_version("v2")->weight == 0; }));
  EXPECT_TRUE(eventually([&] { return !registry->events(1).empty() && registry->events(1)[0].kind == "rollback"; }));
}

TEST_F(ModelRegistryTest, OutcomesOfUnknownVersionsAreIgnored) {
  auto store = open_store();
  auto registry = open_registry(*store);
  ASSERT_TRUE(registry->put_model(canary()).is_ok());
  const auto now = MonitorClock::now();
  for (int i = 0; i < 100; ++i) {
    registry->record_outcome("llama", "v1", true, 0.1, now);
    registry->record_outcome("llama", "v9", false, 0.1, now);
    registry->record_outcome("other", "v2", false, 0.1, now);
  }
  EXPECT_TRUE(registry->tick(now + 1s).empty());
}

TEST_F(ModelRegistryTest, BadStoredValuesAreIgnored) {
  auto store = open_store();
  ASSERT_TRUE(store->put(model_key("broken"), "{not json").is_ok());
  ASSERT_TRUE(store->put(model_key("mismatch"), R"({"name": "other"})").is_ok());
  ASSERT_TRUE(store->put(model_key("ok"), R"({"name": "ok"})").is_ok());
  auto registry = open_registry(*store);
  EXPECT_FALSE(registry->get("broken").has_value());
  EXPECT_FALSE(registry->get("mismatch").has_value());
  EXPECT_TRUE(registry->get("ok").has_value());
  // A write over a broken value says what is wrong with it.
  Result<ModelEntry> r = registry->set_weight("broken", "v1", 1);
  EXPECT_FALSE(r.is_ok());
  EXPECT_NE(r.status().message().find(model_key("broken")), std::string::npos) << r.status().message();
}

TEST_F(ModelRegistryTest, EventsAreCapped) {
  auto store = open_store();
  auto registry = open_registry(*store, {.evaluate_interval = 0ms, .max_events = 3});
  ASSERT_TRUE(registry->put_model(canary()).is_ok());
  for (int w = 1; w <= 5; ++w) ASSERT_TRUE(registry->set_weight("llama", "v2", w).is_ok());
  std::vector<RegistryEvent> events = registry->events(100);
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(events[0].reason, "weight 4 -> 5");
  auto stored = store->get_prefix(kEventsPrefix);
  ASSERT_TRUE(stored.is_ok());
  EXPECT_EQ(stored->size(), 3u);
}

}  // namespace
}  // namespace turbine::registry
