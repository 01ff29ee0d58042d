// resolve(): weighted splits in proportion, aliases, pinned versions, unknown models, and the
// fallbacks when weighted versions have no live instances.
#include "registry/version_picker.h"

#include <gtest/gtest.h>

#include <map>
#include <set>

#include "tests/registry/registry_test_util.h"

namespace turbine::registry {
namespace {

// Live instances as a set of (model, version); version "" is "any version of the model".
struct Live {
  std::set<std::pair<std::string, std::string>> pairs;

  HasInstances predicate() const {
    return [this](std::string_view model, std::string_view version) {
      if (version.empty()) {
        for (const auto& [m, v] : pairs) {
          if (m == model) return true;
        }
        return false;
      }
      return pairs.count({std::string(model), std::string(version)}) > 0;
    };
  }
};

RegistrySnapshot split_snapshot(double w1, double w2) {
  RegistrySnapshot s;
  ModelEntry e;
  e.name = "llama";
  e.versions = {{.version = "v1", .weight = w1, .stable = true}, {.version = "v2", .weight = w2}};
  s.models[e.name] = e;
  return s;
}

std::map<std::string, int> count_picks(const RegistrySnapshot& s, const Live& live, const std::string& name,
                                       int n) {
  std::mt19937_64 rng(42);
  std::map<std::string, int> counts;
  for (int i = 0; i < n; ++i) ++counts[resolve(s, name, live.predicate(), rng).version];
  return counts;
}

TEST(VersionPickerTest, WeightedSplitFollowsWeights) {
  RegistrySnapshot s = split_snapshot(90, 10);
  Live live{{{"llama", "v1"}, {"llama", "v2"}}};
  auto counts = count_picks(s, live, "llama", 10000);
  EXPECT_EQ(counts["v1"] + counts["v2"], 10000);
  EXPECT_NEAR(counts["v2"] / 10000.0, 0.10, 0.02);
  EXPECT_NEAR(counts["v1"] / 10000.0, 0.90, 0.02);

  auto thirds = count_picks(split_snapshot(1, 2), live, "llama", 10000);
  EXPECT_NEAR(thirds["v2"] / 10000.0, 2.0 / 3.0, 0.02);
}

TEST(VersionPickerTest, ZeroWeightAndRolledBackGetNoTraffic) {
  RegistrySnapshot s = split_snapshot(100, 0);
  s.models["llama"].versions.push_back({.version = "v3", .weight = 0, .state = VersionState::kRolledBack});
  Live live{{{"llama", "v1"}, {"llama", "v2"}, {"llama", "v3"}}};
  auto counts = count_picks(s, live, "llama", 1000);
  EXPECT_EQ(counts["v1"], 1000);
}

TEST(VersionPickerTest, AliasResolvesToItsModel) {
  RegistrySnapshot s = split_snapshot(100, 0);
  s.aliases["gpt-4"] = "llama";
  s.aliases["other"] = "mistral";  // a model with no entry
  Live live{{{"llama", "v1"}, {"mistral", "x"}}};
  std::mt19937_64 rng(1);
  EXPECT_EQ(resolve(s, "gpt-4", live.predicate(), rng), (ResolvedModel{"llama", "v1"}));
  EXPECT_EQ(resolve(s, "other", live.predicate(), rng), (ResolvedModel{"mistral", ""}));
}

TEST(VersionPickerTest, UnknownModelIsAnyVersion) {
  RegistrySnapshot s;
  std::mt19937_64 rng(1);
  Live live{{{"phi", "a"}}};
  EXPECT_EQ(resolve(s, "phi", live.predicate(), rng), (ResolvedModel{"phi", ""}));
  EXPECT_EQ(resolve(s, "nobody-serves-this", live.predicate(), rng), (ResolvedModel{"nobody-serves-this", ""}));
}

TEST(VersionPickerTest, PinnedVersion) {
  RegistrySnapshot s = split_snapshot(100, 0);
  s.aliases["gpt-4"] = "llama";
  Live live{{{"llama", "v1"}, {"llama", "v2"}}};
  std::mt19937_64 rng(1);
  // A pin ignores weights: v2 has weight 0 here.
  EXPECT_EQ(resolve(s, "llama:v2", live.predicate(), rng), (ResolvedModel{"llama", "v2", true}));
  EXPECT_EQ(resolve(s, "gpt-4:v2", live.predicate(), rng), (ResolvedModel{"llama", "v2", true}));
  // Pinned to a version nobody serves: passed on as written, for the router to report.
  EXPECT_EQ(resolve(s, "llama:v9", live.predicate(), rng), (ResolvedModel{"llama", "v9", true}));
}

TEST(VersionPickerTest, NameWithColonThatIsServedIsNotAPin) {
  RegistrySnapshot s;
  Live live{{{"qwen2:7b", "q4"}}};
  std::mt19937_64 rng(1);
  EXPECT_EQ(resolve(s, "qwen2:7b", live.predicate(), rng), (ResolvedModel{"qwen2:7b", ""}));
  // With a registry entry under that name, also not a pin.
  ModelEntry e;
  e.name = "qwen2:7b";
  e.versions = {{.version = "q4", .weight = 1, .stable = true}};
  s.models[e.name] = e;
  EXPECT_EQ(resolve(s, "qwen2:7b", live.predicate(), rng), (ResolvedModel{"qwen2:7b", "q4"}));
  EXPECT_EQ(resolve(s, "qwen2:7b:q4", live.predicate(), rng), (ResolvedModel{"qwen2:7b", "q4", true}));
}

TEST(VersionPickerTest, VersionWithoutInstancesGetsNoTraffic) {
  RegistrySnapshot s = split_snapshot(50, 50);
  Live live{{{"llama", "v1"}}};  // v2 has no instances
  auto counts = count_picks(s, live, "llama", 1000);
  EXPECT_EQ(counts["v1"], 1000);
}

TEST(VersionPickerTest, FallsBackToActiveVersionsWithInstances) {
  RegistrySnapshot s = split_snapshot(100, 0);
  s.models["llama"].versions.push_back({.version = "v3", .weight = 0, .state = VersionState::kRolledBack});
  // Only the unweighted v2 and the rolled-back v3 are live: v2 takes the traffic.
  Live live{{{"llama", "v2"}, {"llama", "v3"}}};
  auto counts = count_picks(s, live, "llama", 1000);
  EXPECT_EQ(counts["v2"], 1000);
  // Only the rolled-back v3 is live: any instance of the model (the router's choice).
  Live only_v3{{{"llama", "v3"}}};
  std::mt19937_64 rng(1);
  EXPECT_EQ(resolve(s, "llama", only_v3.predicate(), rng), (ResolvedModel{"llama", ""}));
}

TEST(VersionPickerTest, EntryWithoutVersionsIsAnyVersion) {
  RegistrySnapshot s;
  s.models["llama"].name = "llama";
  Live live{{{"llama", "x"}}};
  std::mt19937_64 rng(1);
  EXPECT_EQ(resolve(s, "llama", live.predicate(), rng), (ResolvedModel{"llama", ""}));
}

}  // namespace
}  // namespace turbine::registry
