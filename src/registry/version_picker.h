// Which (model, version) a request's "model" goes to: aliases, pinned versions, and the weighted
// split between a model's versions (A/B tests, canaries). A pure function of an immutable
// registry snapshot, a live-instances predicate and the caller's RNG; any thread (each caller
// brings its own RNG).
//
// resolve(requested):
//   1. `requested` names an alias, a model with a registry entry, or a model with live instances
//      (has_instances(requested, "")): that model. Aliases win over model names.
//   2. Otherwise "model:version" (split at the last ':') pins a version: (model, version) as
//      written, the model part alias-resolved, with no weight or rollback check (so a canary
//      can be tried on purpose); the router reports it if no instance serves it.
//   3. A model with no registry entry: (model, "") — any instance of the model.
//   4. A model with an entry: a weighted random pick among its active versions with weight > 0
//      that have live instances.
//   5. Fallback when none of those has instances: a uniform pick among its other active
//      versions (weight 0, not rolled back) that have instances; failing that (model, ""),
//      any instance of the model whatever its version (workers that registered a version the
//      registry does not list; a rolled-back version only gets traffic this way, when nothing
//      else serves the model).
#pragma once

#include <functional>
#include <memory>
#include <random>
#include <string>
#include <string_view>

#include "registry/model_entry.h"

namespace turbine::registry {

struct ResolvedModel {
  std::string model = {};
  std::string version = {};  // "": any version of the model
  bool pinned = false;  // the request named the version ("model:version")

  bool operator==(const ResolvedModel&) const = default;
};

// Whether live instances serve (model, version); version "" asks for any version.
// Called on the resolving thread; must be cheap (it reads the router's instance snapshot).
using HasInstances = std::function<bool(std::string_view model, std::string_view version)>;

// See the header comment. Never fails: a name nobody serves comes back as (name, "").
ResolvedModel resolve(const RegistrySnapshot& snapshot, std::string_view requested,
                      const HasInstances& has_instances, std::mt19937_64& rng);

}  // namespace turbine::registry
