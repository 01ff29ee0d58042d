#include "registry/version_picker.h"

#include <vector>

namespace turbine::registry {

namespace {

// The model an alias names, or `name` itself.
std::string_view dealias(const RegistrySnapshot& snapshot, std::string_view name) {
  auto it = snapshot.aliases.find(name);
  return it == snapshot.aliases.end() ? name : std::string_view(it->second);
}

// Weighted pick among the active versions with weight > 0 that have instances; nullptr if none.
const ModelVersion* pick_weighted(const ModelEntry& entry, const HasInstances& has_instances,
                                  std::mt19937_64& rng) {
  std::vector<const ModelVersion*> live;
  double total = 0.0;
  for (const ModelVersion& v : entry.versions) {
    if (v.weight <= 0.0 || v.state != VersionState::kActive) continue;
    if (!has_instances(entry.name, v.version)) continue;
    live.push_back(&v);
    total += v.weight;
  }
  if (live.empty()) return nullptr;
  if (live.size() == 1) return live[0];
  double r = std::uniform_real_distribution<double>(0.0, total)(rng);
  for (const ModelVersion* v : live) {
    if (r < v->weight) return v;
    r -= v->weight;
  }
  return live.back();  // r landed on total through rounding
}

// Uniform pick among the active versions with weight 0 that have instances; nullptr if none.
const ModelVersion* pick_fallback(const ModelEntry& entry, const HasInstances& has_instances,
                                  std::mt19937_64& rng) {
  std::vector<const ModelVersion*> live;
  for (const ModelVersion& v : entry.versions) {
    if (v.state != VersionState::kActive || v.weight > 0.0) continue;
    if (has_instances(entry.name, v.version)) live.push_back(&v);
  }
  if (live.empty()) return nullptr;
  size_t i = std::uniform_int_distribution<size_t>(0, live.size() - 1)(rng);
  return live[i];
}

}  // namespace

ResolvedModel resolve(const RegistrySnapshot& snapshot, std::string_view requested,
                      const HasInstances& has_instances, std::mt19937_64& rng) {
  std::string_view model = dealias(snapshot, requested);
  const bool known = model != requested || snapshot.find_model(model) != nullptr;
  if (!known) {
    size_t colon = requested.rfind(':');
    if (colon != std::string_view::npos && colon > 0 && colon + 1 < requested.size() &&
        !has_instances(requested, "")) {
      std::string_view pinned_model = dealias(snapshot, requested.substr(0, colon));
      return {std::string(pinned_model), std::string(requested.substr(colon + 1)), /*pinned=*/true};
    }
  }
  const ModelEntry* entry = snapshot.find_model(model);
  if (entry == nullptr) return {std::string(model), ""};
  const ModelVersion* picked = pick_weighted(*entry, has_instances, rng);
  if (picked == nullptr) picked = pick_fallback(*entry, has_instances, rng);
  if (picked == nullptr) return {entry->name, ""};
  return {entry->name, picked->version};
}

}  // namespace turbine::registry
