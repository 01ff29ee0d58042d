#include "frontend/model_catalog.h"

namespace turbine {

bool ModelCatalog::add(Entry entry, bool replace) {
  std::lock_guard<std::mutex> lk(mu_);
  for (Entry& e : entries_) {
    if (e.model->name != entry.model->name) continue;
    if (!replace) return false;
    e = std::move(entry);
    return true;
  }
  entries_.push_back(std::move(entry));
  return true;
}

std::optional<ModelCatalog::Entry> ModelCatalog::find(const std::string& name) const {
  std::lock_guard<std::mutex> lk(mu_);
  if (name.empty()) return entries_.empty() ? std::nullopt : std::optional<Entry>(entries_.front());
  for (const Entry& e : entries_)
    if (e.model->name == name) return e;
  return std::nullopt;
}

std::vector<ModelCatalog::Entry> ModelCatalog::list() const {
  std::lock_guard<std::mutex> lk(mu_);
  return entries_;
}

}  // namespace turbine
