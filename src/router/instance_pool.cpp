#include "router/instance_pool.h"

#include <algorithm>
#include <utility>

namespace turbine {

InstancePool::InstancePool(PolicyFactory make_policy)
    : make_policy_(std::move(make_policy)), snapshot_(std::make_shared<const PoolSnapshot>()) {}

std::shared_ptr<const PoolSnapshot> InstancePool::rebuild(const PoolSnapshot& old_snapshot,
                                                          std::vector<std::shared_ptr<Instance>> instances,
                                                          const std::vector<std::string>& changed_models) const {
  auto next = std::make_shared<PoolSnapshot>();
  next->instances = std::move(instances);
  next->by_id.reserve(next->instances.size());
  for (const auto& inst : next->instances) next->by_id.emplace(inst->id(), inst);
  // Unchanged models keep their group, and with it their policy's state (round robin's turn).
  next->models = old_snapshot.models;
  for (const std::string& model : changed_models) {
    auto group = std::make_shared<ModelGroup>();
    for (const auto& inst : next->instances)
      if (inst->info().model == model) group->instances.push_back(inst);
    if (group->instances.empty()) {
      next->models.erase(model);
      continue;
    }
    group->policy = make_policy_(model);
    next->models[model] = std::move(group);
  }
  return next;
}

void InstancePool::publish(std::shared_ptr<const PoolSnapshot> next) {
  {
    std::lock_guard lock(snapshot_mu_);
    snapshot_.swap(next);
  }
  // `next` now holds the old snapshot: released here, outside the readers' lock.
}

std::shared_ptr<Instance> InstancePool::add(std::shared_ptr<Instance> instance) {
  std::lock_guard lock(write_mu_);
  auto old = snapshot();
  std::vector<std::shared_ptr<Instance>> instances = old->instances;
  std::vector<std::string> changed_models{instance->info().model};
  std::shared_ptr<Instance> replaced;
  auto pos = std::find_if(instances.begin(), instances.end(),
                          [&](const auto& inst) { return inst->id() == instance->id(); });
  if (pos != instances.end()) {
    replaced = *pos;
    if (replaced->info().model != instance->info().model) changed_models.push_back(replaced->info().model);
    *pos = std::move(instance);
  } else {
    instances.push_back(std::move(instance));
  }
  publish(rebuild(*old, std::move(instances), changed_models));
  return replaced;
}

std::shared_ptr<Instance> InstancePool::remove(const std::string& id) {
  std::lock_guard lock(write_mu_);
  auto old = snapshot();
  std::shared_ptr<Instance> removed = old->find(id);
  if (!removed) return nullptr;
  std::vector<std::shared_ptr<Instance>> instances;
  instances.reserve(old->instances.size() - 1);
  for (const auto& inst : old->instances)
    if (inst != removed) instances.push_back(inst);
  publish(rebuild(*old, std::move(instances), {removed->info().model}));
  return removed;
}

}  // namespace turbine
