// What the registry knows about one model: its versions with their traffic weights, which one is
// stable (the baseline automatic rollback compares against), and the rollback policy; plus the
// aliases that name models. JSON round-trip with validation: anything that comes from outside
// (an admin request, a value read from the store) goes through model_entry_from_json().
// Value types; any thread.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "base/status.h"

namespace turbine::registry {

enum class VersionState {
  kActive,
  kRolledBack,  // taken out of traffic by automatic rollback; weight 0 until an admin sets one
};

const char* version_state_name(VersionState state);  // "active", "rolled_back"

struct ModelVersion {
  std::string version = {};        // "v2"; no ':' (requests pin versions as "model:version")
  double weight = 0.0;             // relative share of the model's traffic; >= 0, finite
  bool stable = false;             // the baseline for rollback; at most one per model
  VersionState state = VersionState::kActive;
  std::string rolled_back_reason = {};  // why, with the figures; empty unless rolled back
};

// Automatic rollback: a version with weight > 0 other than the stable one is rolled back when,
// over the last window_seconds, both it and the stable version saw at least min_requests and
//   its error rate > stable's error rate + error_rate_margin      (absolute: 0.05 = 5 points), or
//   its p99 latency > stable's p99 latency * (1 + p99_latency_margin)  (relative: 0.5 = 50% worse)
//   and exceeds it by more than p99_latency_min_delta_s (absolute: a few milliseconds of jitter on
//   fast requests are 50% of nothing and no reason to roll back).
struct RollbackPolicy {
  bool enabled = true;
  double window_seconds = 60.0;      // (0, 86400]
  int64_t min_requests = 20;         // >= 1, per version, in the window
  double error_rate_margin = 0.05;   // [0, 1]
  double p99_latency_margin = 0.5;   // >= 0
  double p99_latency_min_delta_s = 0.05;  // >= 0
};

struct ModelEntry {
  std::string name = {};
  std::vector<ModelVersion> versions = {};  // distinct version names, in the order given
  RollbackPolicy rollback = {};

  const ModelVersion* find_version(std::string_view version) const;
  ModelVersion* find_version(std::string_view version);
  const ModelVersion* stable_version() const;  // nullptr when none is marked stable
};

// alias -> model name; one level (an alias never names another alias).
using AliasMap = std::map<std::string, std::string, std::less<>>;

// The registry as one value: what the hot path reads (immutable, swapped whole on a change).
struct RegistrySnapshot {
  std::map<std::string, ModelEntry, std::less<>> models;  // by name
  AliasMap aliases;

  const ModelEntry* find_model(std::string_view name) const;
};

// A registry name (model or alias): 1-200 bytes of [A-Za-z0-9._-/:@+]. kInvalidArgument naming
// `field` otherwise.
Status validate_model_name(std::string_view name, std::string_view field);
// A version name: as a model name but without ':'.
Status validate_version_name(std::string_view version, std::string_view field);

// Every rule above: names, distinct versions, finite non-negative weights, at most one stable
// version and exactly one when any weight is > 0, a stable version is active, a rolled-back
// version has weight 0, the policy's ranges. Errors name the field ("versions[1].weight").
Status validate(const ModelEntry& entry);

nlohmann::json to_json(const ModelEntry& entry);
// Strict: unknown fields and wrong types are errors naming the field; missing optional fields
// take the defaults above ("versions" and "rollback" may be omitted; a version needs
// "version"). The result is validated.
Result<ModelEntry> model_entry_from_json(const nlohmann::json& json);
// As above, from text; malformed JSON is kInvalidArgument with the parser's position.
Result<ModelEntry> parse_model_entry(std::string_view text);
std::string serialize(const ModelEntry& entry);

// `text` as JSON, or kInvalidArgument starting with `what` (malformed, or nested deeper than
// 32). Never throws. For every JSON document the registry takes from outside.
Result<nlohmann::json> parse_json_document(std::string_view text, std::string_view what);

}  // namespace turbine::registry
