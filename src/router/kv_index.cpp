#include "router/kv_index.h"

#include <algorithm>
#include <mutex>

namespace turbine {

void KvIndex::apply(uint32_t instance, const std::vector<KvEvent>& events) {
  if (events.empty()) return;
  std::unique_lock lock(mu_);
  auto& mine = by_instance_[instance];
  for (const KvEvent& e : events) {
    if (e.kind == KvEvent::Kind::kStored) {
      if (!mine.insert(e.hash).second) continue;  // stored twice (a resend): already indexed
      holders_[e.hash].push_back(instance);
    } else if (mine.erase(e.hash)) {
      remove_locked(instance, e.hash);
    }
  }
  if (mine.empty()) by_instance_.erase(instance);
}

void KvIndex::remove_locked(uint32_t instance, uint64_t hash) {
  auto it = holders_.find(hash);
  if (it == holders_.end()) return;
  auto& list = it->second;
  auto pos = std::find(list.begin(), list.end(), instance);
  if (pos != list.end()) {
    *pos = list.back();  // order does not matter
    list.pop_back();
  }
  if (list.empty()) holders_.erase(it);
}

void KvIndex::clear(uint32_t instance) {
  std::unique_lock lock(mu_);
  auto it = by_instance_.find(instance);
  if (it == by_instance_.end()) return;
  for (uint64_t hash : it->second) remove_locked(instance, hash);
  by_instance_.erase(it);
}

void KvIndex::overlap(const std::vector<uint64_t>& block_hashes, std::vector<KvOverlap>* out) const {
  out->clear();
  if (block_hashes.empty()) return;
  std::shared_lock lock(mu_);
  auto first = holders_.find(block_hashes[0]);
  if (first == holders_.end()) return;
  for (uint32_t instance : first->second) out->push_back({instance, 1});
  // Walk the prompt's blocks; an instance stays "alive" while it holds every block so far.
  size_t num_alive = out->size();
  for (size_t b = 1; b < block_hashes.size() && num_alive > 0; ++b) {
    auto it = holders_.find(block_hashes[b]);
    if (it == holders_.end()) break;
    const std::vector<uint32_t>& holders = it->second;
    num_alive = 0;
    for (KvOverlap& o : *out) {
      if (o.num_blocks != int32_t(b)) continue;  // dropped out at an earlier block
      if (std::find(holders.begin(), holders.end(), o.instance) == holders.end()) continue;
      ++o.num_blocks;
      ++num_alive;
    }
  }
}

std::vector<KvOverlap> KvIndex::overlap(const std::vector<uint64_t>& block_hashes) const {
  std::vector<KvOverlap> out;
  overlap(block_hashes, &out);
  return out;
}

int64_t KvIndex::num_blocks(uint32_t instance) const {
  std::shared_lock lock(mu_);
  auto it = by_instance_.find(instance);
  return it == by_instance_.end() ? 0 : int64_t(it->second.size());
}

int64_t KvIndex::num_keys() const {
  std::shared_lock lock(mu_);
  return int64_t(holders_.size());
}

}  // namespace turbine
