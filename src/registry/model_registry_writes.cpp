// ModelRegistry's writes: the admin operations, each a read-modify-write of the store's current
// value followed by an event, applied to this process's snapshot at once (the watch brings the
// same change back a moment later).
#include <cmath>
#include <cstdio>

#include <nlohmann/json.hpp>

#include "registry/model_registry.h"

namespace turbine::registry {

namespace {

int64_t unix_us() {
  return std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string format_weight(double weight) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", weight);
  return buf;
}

std::string in_quotes(std::string_view s) { return "\"" + std::string(s) + "\""; }

// "v1=90 (stable), v2=10, v0=0 (rolled back)"
std::string describe_versions(const ModelEntry& entry) {
  std::string out;
  for (const ModelVersion& v : entry.versions) {
    if (!out.empty()) out += ", ";
    out += v.version + "=" + format_weight(v.weight);
    if (v.stable) out += " (stable)";
    if (v.state == VersionState::kRolledBack) out += " (rolled back)";
  }
  return out.empty() ? "no versions" : out;
}

}  // namespace

Result<std::optional<ModelEntry>> ModelRegistry::read_model_locked(std::string_view name) {
  std::string key = model_key(name);
  TB_ASSIGN_OR_RETURN(std::optional<control::KeyValue> kv, store_.get(key));
  if (!kv) return std::optional<ModelEntry>();
  Result<ModelEntry> entry = parse_model_entry(kv->value);
  if (!entry.is_ok()) return entry.status().with_context("the stored value of " + key);
  return std::optional<ModelEntry>(std::move(entry).value());
}

Status ModelRegistry::write_model_locked(const ModelEntry& entry) {
  std::string key = model_key(entry.name);
  std::string value = serialize(entry);
  TB_RETURN_IF_ERROR(store_.put(key, value));
  apply_put(key, value);
  return Status::ok();
}

void ModelRegistry::write_event_locked(RegistryEvent event) {
  int64_t now_us = unix_us();
  event.time_ms = now_us / 1000;
  std::string key = event_key(now_us, event_nonce_rng_());
  std::string value = to_json(event).dump();
  Status written = store_.put(key, value);
  if (!written.is_ok()) {
    // The change itself is made; only its record is lost.
    std::fprintf(stderr, "turbine: registry: event %s %s:%s not recorded: %s\n", event.kind.c_str(),
                 event.model.c_str(), event.version.c_str(), written.message().c_str());
    return;
  }
  apply_put(key, value);
  // Keep the newest max_events: events are rare, so reading their keys back here is cheap.
  Result<std::vector<control::KeyValue>> all = store_.get_prefix(kEventsPrefix);
  if (!all.is_ok() || all->size() <= options_.max_events) return;
  size_t num_old = all->size() - options_.max_events;
  for (size_t i = 0; i < num_old; ++i) {
    if (store_.erase((*all)[i].key).is_ok()) apply_delete((*all)[i].key);
  }
}

Result<ModelEntry> ModelRegistry::update_model_locked(
    std::string_view model, std::string_view version, const char* kind,
    const std::function<Status(ModelEntry&, std::string*)>& change, bool create) {
  TB_RETURN_IF_ERROR(validate_model_name(model, "model"));
  TB_ASSIGN_OR_RETURN(std::optional<ModelEntry> current, read_model_locked(model));
  if (!current && create) {  // the first weight given to a model's version starts its entry
    TB_ASSIGN_OR_RETURN(std::optional<control::KeyValue> alias, store_.get(alias_key(model)));
    if (alias) return invalid_argument("model: " + in_quotes(model) + " is an alias (of " + in_quotes(alias->value) + ")");
    current = ModelEntry{.name = std::string(model)};
  }
  if (!current) return not_found("no model " + in_quotes(model) + " in the registry");
  ModelEntry entry = std::move(*current);
  std::string reason;
  TB_RETURN_IF_ERROR(change(entry, &reason));
  TB_RETURN_IF_ERROR(validate(entry));
  TB_RETURN_IF_ERROR(write_model_locked(entry));
  {
    // The admin's word is newer than a rollback this process has not written yet.
    std::lock_guard lock(state_mu_);
    std::erase_if(pending_, [&](const auto& p) { return p.first.first == entry.name; });
    publish_locked();
  }
  write_event_locked({.kind = kind, .model = entry.name, .version = std::string(version), .reason = reason});
  return entry;
}

Result<ModelEntry> ModelRegistry::put_model(const ModelEntry& entry) {
  TB_RETURN_IF_ERROR(validate(entry));
  std::lock_guard admin(admin_mu_);
  TB_ASSIGN_OR_RETURN(std::optional<control::KeyValue> alias, store_.get(alias_key(entry.name)));
  if (alias) return invalid_argument("name: " + in_quotes(entry.name) + " is an alias (of " + in_quotes(alias->value) + ")");
  TB_ASSIGN_OR_RETURN(std::optional<ModelEntry> current, read_model_locked(entry.name));
  TB_RETURN_IF_ERROR(write_model_locked(entry));
  {
    std::lock_guard lock(state_mu_);
    std::erase_if(pending_, [&](const auto& p) { return p.first.first == entry.name; });
    publish_locked();
  }
  std::string reason = std::string(current ? "replaced: " : "created: ") + describe_versions(entry);
  write_event_locked({.kind = "put_model", .model = entry.name, .reason = reason});
  return entry;
}

Result<ModelEntry> ModelRegistry::set_weight(std::string_view model, std::string_view version, double weight) {
  TB_RETURN_IF_ERROR(validate_version_name(version, "version"));
  if (!(std::isfinite(weight) && weight >= 0.0)) {
    return invalid_argument("weight: must be a finite number >= 0, got " + format_weight(weight));
  }
  std::lock_guard admin(admin_mu_);
  return update_model_locked(model, version, "set_weight", [&](ModelEntry& entry, std::string* reason) {
    ModelVersion* v = entry.find_version(version);
    if (v == nullptr) {
      entry.versions.push_back({.version = std::string(version)});
      v = &entry.versions.back();
      *reason = "added; ";
    }
    *reason += "weight " + format_weight(v->weight) + " -> " + format_weight(weight);
    v->weight = weight;
    if (weight > 0.0 && v->state == VersionState::kRolledBack) {
      v->state = VersionState::kActive;
      v->rolled_back_reason.clear();
      *reason += "; active again";
    }
    if (weight > 0.0 && entry.stable_version() == nullptr) {
      v->stable = true;
      *reason += "; stable (the first version with a weight)";
    }
    return Status::ok();
  }, /*create=*/true);
}

Result<ModelEntry> ModelRegistry::set_stable(std::string_view model, std::string_view version) {
  std::lock_guard admin(admin_mu_);
  return update_model_locked(model, version, "set_stable", [&](ModelEntry& entry, std::string* reason) {
    ModelVersion* target = entry.find_version(version);
    if (target == nullptr) return not_found("model " + in_quotes(model) + " has no version " + in_quotes(version));
    const ModelVersion* before = entry.stable_version();
    *reason = "stable " + (before ? before->version : std::string("(none)")) + " -> " + target->version;
    for (ModelVersion& v : entry.versions) v.stable = false;
    target->stable = true;
    if (target->state == VersionState::kRolledBack) {
      target->state = VersionState::kActive;
      target->rolled_back_reason.clear();
      *reason += "; active again";
    }
    return Status::ok();
  });
}

Result<ModelEntry> ModelRegistry::remove_version(std::string_view model, std::string_view version) {
  std::lock_guard admin(admin_mu_);
  return update_model_locked(model, version, "remove_version", [&](ModelEntry& entry, std::string* reason) {
    const ModelVersion* v = entry.find_version(version);
    if (v == nullptr) return not_found("model " + in_quotes(model) + " has no version " + in_quotes(version));
    *reason = "removed (weight " + format_weight(v->weight) + (v->stable ? ", stable)" : ")");
    std::erase_if(entry.versions, [&](const ModelVersion& x) { return x.version == version; });
    return Status::ok();
  });
}

Status ModelRegistry::remove_model(std::string_view model) {
  TB_RETURN_IF_ERROR(validate_model_name(model, "model"));
  std::lock_guard admin(admin_mu_);
  std::string key = model_key(model);
  TB_ASSIGN_OR_RETURN(bool existed, store_.erase(key));
  if (!existed) return not_found("no model " + in_quotes(model) + " in the registry");
  apply_delete(key);
  write_event_locked({.kind = "remove_model", .model = std::string(model), .reason = "removed"});
  return Status::ok();
}

Status ModelRegistry::set_alias(std::string_view alias, std::string_view model) {
  TB_RETURN_IF_ERROR(validate_model_name(alias, "alias"));
  TB_RETURN_IF_ERROR(validate_model_name(model, "model"));
  if (alias == model) return invalid_argument("alias: an alias cannot name itself");
  std::lock_guard admin(admin_mu_);
  TB_ASSIGN_OR_RETURN(std::optional<control::KeyValue> as_model, store_.get(model_key(alias)));
  if (as_model) return invalid_argument("alias: " + in_quotes(alias) + " is a model in the registry");
  TB_ASSIGN_OR_RETURN(std::optional<control::KeyValue> target_alias, store_.get(alias_key(model)));
  if (target_alias) {
    return invalid_argument("model: " + in_quotes(model) + " is itself an alias (of " + in_quotes(target_alias->value) +
                            "); aliases name models");
  }
  std::string key = alias_key(alias);
  TB_RETURN_IF_ERROR(store_.put(key, model));
  apply_put(key, std::string(model));
  write_event_locked({.kind = "set_alias", .model = std::string(model),
                      .reason = "alias " + in_quotes(alias) + " -> " + in_quotes(model)});
  return Status::ok();
}

Status ModelRegistry::remove_alias(std::string_view alias) {
  TB_RETURN_IF_ERROR(validate_model_name(alias, "alias"));
  std::lock_guard admin(admin_mu_);
  std::string key = alias_key(alias);
  TB_ASSIGN_OR_RETURN(std::optional<control::KeyValue> current, store_.get(key));
  if (!current) return not_found("no alias " + in_quotes(alias));
  TB_RETURN_IF_ERROR(store_.erase(key).status());
  apply_delete(key);
  write_event_locked({.kind = "remove_alias", .model = current->value, .reason = "alias " + in_quotes(alias) + " removed"});
  return Status::ok();
}

}  // namespace turbine::registry
