#include "registry/model_entry.h"

#include <cmath>
#include <set>

#include <nlohmann/json.hpp>

namespace turbine::registry {

namespace {

using nlohmann::json;

constexpr size_t kMaxNameBytes = 200;
constexpr double kMaxWindowSeconds = 86400.0;
// Deepest nesting accepted from outside: json's dump and destructor recurse.
constexpr int kMaxJsonDepth = 32;

std::string type_name(const json& value) {
  if (value.is_number()) return "number";
  return value.type_name();
}

Status wrong_type(const std::string& field, const char* expected, const json& value) {
  return invalid_argument(field + ": expected " + expected + ", got " + type_name(value));
}

Status check_name_chars(std::string_view name, std::string_view field, bool allow_colon) {
  if (name.empty()) return invalid_argument(std::string(field) + ": must not be empty");
  if (name.size() > kMaxNameBytes) {
    return invalid_argument(std::string(field) + ": longer than " + std::to_string(kMaxNameBytes) +
                            " bytes");
  }
  for (char c : name) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == '-' || c == '/' || c == '@' || c == '+' ||
              (allow_colon && c == ':');
    if (!ok) {
      return invalid_argument(std::string(field) + ": \"" + std::string(name) +
                              "\" has a character outside [A-Za-z0-9._-/@+" +
                              (allow_colon ? ":" : "") + "]");
    }
  }
  return Status::ok();
}

// Fails on any key of `object` not in `known`.
Status check_known_fields(const json& object, std::initializer_list<const char*> known,
                          const std::string& prefix) {
  for (const auto& [key, value] : object.items()) {
    bool found = false;
    for (const char* k : known) found = found || key == k;
    if (!found) return invalid_argument(prefix + key + ": unknown field");
  }
  return Status::ok();
}

// Reads object[key] into *out when present (null counts as absent).
Status read_string(const json& object, const char* key, const std::string& prefix, std::string* out) {
  auto it = object.find(key);
  if (it == object.end() || it->is_null()) return Status::ok();
  if (!it->is_string()) return wrong_type(prefix + key, "a string", *it);
  *out = it->get<std::string>();
  return Status::ok();
}

Status read_bool(const json& object, const char* key, const std::string& prefix, bool* out) {
  auto it = object.find(key);
  if (it == object.end() || it->is_null()) return Status::ok();
  if (!it->is_boolean()) return wrong_type(prefix + key, "a boolean", *it);
  *out = it->get<bool>();
  return Status::ok();
}

Status read_number(const json& object, const char* key, const std::string& prefix, double* out) {
  auto it = object.find(key);
  if (it == object.end() || it->is_null()) return Status::ok();
  if (!it->is_number()) return wrong_type(prefix + key, "a number", *it);
  *out = it->get<double>();
  return Status::ok();
}

Status read_integer(const json& object, const char* key, const std::string& prefix, int64_t* out) {
  auto it = object.find(key);
  if (it == object.end() || it->is_null()) return Status::ok();
  if (it->is_number_integer()) {
    if (it->is_number_unsigned() && it->get<uint64_t>() > uint64_t(INT64_MAX)) {
      return invalid_argument(prefix + key + ": out of range");
    }
    *out = it->get<int64_t>();
    return Status::ok();
  }
  if (it->is_number_float()) {
    double d = it->get<double>();
    if (std::isfinite(d) && d == std::floor(d) && std::fabs(d) < 9.0e15) {
      *out = static_cast<int64_t>(d);
      return Status::ok();
    }
  }
  return wrong_type(prefix + key, "an integer", *it);
}

Result<ModelVersion> version_from_json(const json& j, const std::string& prefix) {
  if (!j.is_object()) return wrong_type(prefix.substr(0, prefix.size() - 1), "an object", j);
  TB_RETURN_IF_ERROR(check_known_fields(j, {"version", "weight", "stable", "state", "rolled_back_reason"}, prefix));
  ModelVersion v;
  if (!j.contains("version")) return invalid_argument(prefix + "version: required");
  TB_RETURN_IF_ERROR(read_string(j, "version", prefix, &v.version));
  TB_RETURN_IF_ERROR(read_number(j, "weight", prefix, &v.weight));
  TB_RETURN_IF_ERROR(read_bool(j, "stable", prefix, &v.stable));
  std::string state = "active";
  TB_RETURN_IF_ERROR(read_string(j, "state", prefix, &state));
  if (state == "active") {
    v.state = VersionState::kActive;
  } else if (state == "rolled_back") {
    v.state = VersionState::kRolledBack;
  } else {
    return invalid_argument(prefix + "state: \"" + state + "\" is not one of \"active\", \"rolled_back\"");
  }
  TB_RETURN_IF_ERROR(read_string(j, "rolled_back_reason", prefix, &v.rolled_back_reason));
  return v;
}

Result<RollbackPolicy> policy_from_json(const json& j) {
  const std::string prefix = "rollback.";
  if (!j.is_object()) return wrong_type("rollback", "an object", j);
  TB_RETURN_IF_ERROR(check_known_fields(
      j, {"enabled", "window_seconds", "min_requests", "error_rate_margin", "p99_latency_margin", "p99_latency_min_delta_s"},
      prefix));
  RollbackPolicy p;
  TB_RETURN_IF_ERROR(read_bool(j, "enabled", prefix, &p.enabled));
  TB_RETURN_IF_ERROR(read_number(j, "window_seconds", prefix, &p.window_seconds));
  TB_RETURN_IF_ERROR(read_integer(j, "min_requests", prefix, &p.min_requests));
  TB_RETURN_IF_ERROR(read_number(j, "error_rate_margin", prefix, &p.error_rate_margin));
  TB_RETURN_IF_ERROR(read_number(j, "p99_latency_margin", prefix, &p.p99_latency_margin));
  TB_RETURN_IF_ERROR(read_number(j, "p99_latency_min_delta_s", prefix, &p.p99_latency_min_delta_s));
  return p;
}

Status validate_policy(const RollbackPolicy& p) {
  if (!(p.window_seconds > 0.0 && p.window_seconds <= kMaxWindowSeconds)) {
    return invalid_argument("rollback.window_seconds: must be in (0, 86400], got " +
                            std::to_string(p.window_seconds));
  }
  if (p.min_requests < 1) {
    return invalid_argument("rollback.min_requests: must be >= 1, got " + std::to_string(p.min_requests));
  }
  if (!(p.error_rate_margin >= 0.0 && p.error_rate_margin <= 1.0)) {
    return invalid_argument("rollback.error_rate_margin: must be in [0, 1] (an absolute error rate), got " +
                            std::to_string(p.error_rate_margin));
  }
  if (!(p.p99_latency_min_delta_s >= 0.0 && std::isfinite(p.p99_latency_min_delta_s))) {
    return invalid_argument("rollback.p99_latency_min_delta_s: must be a finite number >= 0, got " +
                            std::to_string(p.p99_latency_min_delta_s));
  }
  if (!(p.p99_latency_margin >= 0.0 && std::isfinite(p.p99_latency_margin))) {
    return invalid_argument("rollback.p99_latency_margin: must be a finite number >= 0 (0.5 = 50% slower), got " +
                            std::to_string(p.p99_latency_margin));
  }
  return Status::ok();
}

Status validate_versions(const std::vector<ModelVersion>& versions) {
  std::set<std::string_view> seen;
  int num_stable = 0;
  bool any_weight = false;
  for (size_t i = 0; i < versions.size(); ++i) {
    const ModelVersion& v = versions[i];
    std::string field = "versions[" + std::to_string(i) + "]";
    TB_RETURN_IF_ERROR(validate_version_name(v.version, field + ".version"));
    if (!seen.insert(v.version).second) {
      return invalid_argument(field + ".version: \"" + v.version + "\" appears twice");
    }
    if (!(std::isfinite(v.weight) && v.weight >= 0.0)) {
      return invalid_argument(field + ".weight: must be a finite number >= 0, got " + std::to_string(v.weight));
    }
    if (v.state == VersionState::kRolledBack && v.weight > 0.0) {
      return invalid_argument(field + ".weight: a rolled_back version must have weight 0 "
                              "(set state to \"active\" to give it traffic again)");
    }
    if (v.stable && v.state == VersionState::kRolledBack) {
      return invalid_argument(field + ".state: the stable version cannot be rolled_back");
    }
    num_stable += v.stable ? 1 : 0;
    any_weight = any_weight || v.weight > 0.0;
  }
  if (num_stable > 1) return invalid_argument("versions: more than one version is marked stable");
  if (any_weight && num_stable == 0) {
    return invalid_argument("versions: one version must be marked stable (the baseline for rollback) "
                            "when any has a weight");
  }
  return Status::ok();
}

int json_depth(const json& j, int limit) {
  if (limit <= 0) return 1;
  int deepest = 0;
  if (j.is_object() || j.is_array()) {
    for (const auto& child : j) deepest = std::max(deepest, json_depth(child, limit - 1));
    return deepest + 1;
  }
  return 0;
}

}  // namespace

const char* version_state_name(VersionState state) {
  return state == VersionState::kRolledBack ? "rolled_back" : "active";
}

const ModelVersion* ModelEntry::find_version(std::string_view version) const {
  for (const ModelVersion& v : versions) {
    if (v.version == version) return &v;
  }
  return nullptr;
}

ModelVersion* ModelEntry::find_version(std::string_view version) {
  for (ModelVersion& v : versions) {
    if (v.version == version) return &v;
  }
  return nullptr;
}

const ModelVersion* ModelEntry::stable_version() const {
  for (const ModelVersion& v : versions) {
    if (v.stable) return &v;
  }
  return nullptr;
}

const ModelEntry* RegistrySnapshot::find_model(std::string_view name) const {
  auto it = models.find(name);
  return it == models.end() ? nullptr : &it->second;
}

Status validate_model_name(std::string_view name, std::string_view field) {
  return check_name_chars(name, field, /*allow_colon=*/true);
}

Status validate_version_name(std::string_view version, std::string_view field) {
  return check_name_chars(version, field, /*allow_colon=*/false);
}

Status validate(const ModelEntry& entry) {
  TB_RETURN_IF_ERROR(validate_model_name(entry.name, "name"));
  TB_RETURN_IF_ERROR(validate_versions(entry.versions));
  return validate_policy(entry.rollback);
}

nlohmann::json to_json(const ModelEntry& entry) {
  json versions = json::array();
  for (const ModelVersion& v : entry.versions) {
    json jv = {{"version", v.version}, {"weight", v.weight}, {"stable", v.stable},
               {"state", version_state_name(v.state)}};
    if (!v.rolled_back_reason.empty()) jv["rolled_back_reason"] = v.rolled_back_reason;
    versions.push_back(std::move(jv));
  }
  const RollbackPolicy& p = entry.rollback;
  return {{"name", entry.name},
          {"versions", std::move(versions)},
          {"rollback",
           {{"enabled", p.enabled},
            {"window_seconds", p.window_seconds},
            {"min_requests", p.min_requests},
            {"error_rate_margin", p.error_rate_margin},
            {"p99_latency_margin", p.p99_latency_margin},
            {"p99_latency_min_delta_s", p.p99_latency_min_delta_s}}}};
}

Result<ModelEntry> model_entry_from_json(const nlohmann::json& j) {
  if (!j.is_object()) return wrong_type("model entry", "a JSON object", j);
  if (json_depth(j, kMaxJsonDepth + 1) > kMaxJsonDepth) {
    return invalid_argument("model entry: nested deeper than " + std::to_string(kMaxJsonDepth));
  }
  TB_RETURN_IF_ERROR(check_known_fields(j, {"name", "versions", "rollback"}, ""));
  ModelEntry entry;
  if (!j.contains("name")) return invalid_argument("name: required");
  TB_RETURN_IF_ERROR(read_string(j, "name", "", &entry.name));
  if (auto it = j.find("versions"); it != j.end() && !it->is_null()) {
    if (!it->is_array()) return wrong_type("versions", "an array", *it);
    for (size_t i = 0; i < it->size(); ++i) {
      TB_ASSIGN_OR_RETURN(ModelVersion v, version_from_json((*it)[i], "versions[" + std::to_string(i) + "]."));
      entry.versions.push_back(std::move(v));
    }
  }
  if (auto it = j.find("rollback"); it != j.end() && !it->is_null()) {
    TB_ASSIGN_OR_RETURN(entry.rollback, policy_from_json(*it));
  }
  TB_RETURN_IF_ERROR(validate(entry));
  return entry;
}

Result<nlohmann::json> parse_json_document(std::string_view text, std::string_view what) {
  // Depth is checked while parsing: a body of a million '[' must never reach a recursive walk.
  bool too_deep = false;
  json::parser_callback_t limit_depth = [&](int depth, json::parse_event_t event, json&) {
    if ((event == json::parse_event_t::object_start || event == json::parse_event_t::array_start) &&
        depth + 1 > kMaxJsonDepth) {
      too_deep = true;
    }
    return !too_deep;
  };
  json j;
  try {
    j = json::parse(text, limit_depth, /*allow_exceptions=*/true);
  } catch (const json::exception& e) {
    if (!too_deep) return invalid_argument(std::string(what) + ": malformed JSON: " + e.what());
  }
  if (too_deep) {
    return invalid_argument(std::string(what) + ": nested deeper than " + std::to_string(kMaxJsonDepth));
  }
  return j;
}

Result<ModelEntry> parse_model_entry(std::string_view text) {
  TB_ASSIGN_OR_RETURN(json j, parse_json_document(text, "model entry"));
  return model_entry_from_json(j);
}

std::string serialize(const ModelEntry& entry) { return to_json(entry).dump(); }

}  // namespace turbine::registry
