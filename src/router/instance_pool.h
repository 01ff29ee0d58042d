// The router's instance set as an immutable snapshot, swapped atomically on every change
// (copy-on-write): routing threads take the current snapshot (a pointer copy under a tiny lock)
// and read it without locks while discovery adds and removes instances. Each model's group
// carries the policy built for it; a change rebuilds the policy of the changed model only.
// Writers (any thread) serialise on their own mutex and never hold the readers' lock while
// building the next snapshot.
#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "router/instance.h"
#include "router/policy.h"

namespace turbine {

struct ModelGroup {
  std::vector<std::shared_ptr<Instance>> instances;  // in the order they were added
  std::unique_ptr<Policy> policy;                    // built for this list, replaced with it
};

struct PoolSnapshot {
  std::vector<std::shared_ptr<Instance>> instances;  // every instance, in the order added
  std::unordered_map<std::string, std::shared_ptr<const ModelGroup>> models;
  std::unordered_map<std::string, std::shared_ptr<Instance>> by_id;

  const ModelGroup* group(const std::string& model) const {
    auto it = models.find(model);
    return it == models.end() ? nullptr : it->second.get();
  }
  std::shared_ptr<Instance> find(const std::string& id) const {
    auto it = by_id.find(id);
    return it == by_id.end() ? nullptr : it->second;
  }
};

class InstancePool {
 public:
  // Builds the policy of a model's group (called with the writer lock held).
  using PolicyFactory = std::function<std::unique_ptr<Policy>(const std::string& model)>;
  explicit InstancePool(PolicyFactory make_policy);

  // The current set; holding it keeps its instances alive.
  std::shared_ptr<const PoolSnapshot> snapshot() const {
    std::lock_guard lock(snapshot_mu_);
    return snapshot_;
  }

  // Adds `instance`, or replaces the one with its id in place (same position); returns the
  // replaced one (null if new).
  std::shared_ptr<Instance> add(std::shared_ptr<Instance> instance);
  // Removes the instance with `id`; returns it (null if absent). Requests in flight there keep
  // their own reference and finish normally.
  std::shared_ptr<Instance> remove(const std::string& id);

 private:
  // The new snapshot after replacing `old_snapshot`'s entries: `changed_models` get new groups.
  std::shared_ptr<const PoolSnapshot> rebuild(const PoolSnapshot& old_snapshot,
                                              std::vector<std::shared_ptr<Instance>> instances,
                                              const std::vector<std::string>& changed_models) const;

  PolicyFactory make_policy_;
  void publish(std::shared_ptr<const PoolSnapshot> next);

  std::mutex write_mu_;  // serialises writers: each copies the latest snapshot
  // Guards only the pointer swap and copy. (libstdc++ 12's std::atomic<std::shared_ptr> would do
  // the same with a lock bit, but its load unlocks with relaxed order, which ThreadSanitizer
  // rightly reports as a race with the next store.)
  mutable std::mutex snapshot_mu_;
  std::shared_ptr<const PoolSnapshot> snapshot_;
};

}  // namespace turbine
