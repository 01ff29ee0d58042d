// The models this frontend answers for, by name, with their metric children: fixed at start in
// `turbine serve`; growing as workers of new models register in a cluster. Any thread.
#pragma once

#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "frontend/served_model.h"
#include "frontend/serving_metrics.h"

namespace turbine {

class ModelCatalog {
 public:
  struct Entry {
    std::shared_ptr<ServedModel> model;
    ModelMetrics* metrics = nullptr;  // owned by the frontend's ServingMetrics
  };

  // Adds `entry`, or replaces the model of the same name. False (and nothing changed) if the
  // name is taken and `replace` is false.
  bool add(Entry entry, bool replace = false);
  // The model named `name`; "" means the first added. nullopt when there is none.
  std::optional<Entry> find(const std::string& name) const;
  std::vector<Entry> list() const;  // in the order added

 private:
  mutable std::mutex mu_;
  std::vector<Entry> entries_;
};

}  // namespace turbine
