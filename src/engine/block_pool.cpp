#include "engine/block_pool.h"

#include "base/check.h"

namespace turbine {

BlockPool::BlockPool(int32_t num_blocks, bool prefix_caching)
    : blocks_(size_t(num_blocks)), prefix_caching_(prefix_caching) {
  TB_CHECK(num_blocks > 0, "a block pool needs blocks");
  for (int32_t i = 0; i < num_blocks; ++i) push_free_tail(i);
}

void BlockPool::push_free_tail(int32_t id) {
  Block& b = blocks_[size_t(id)];
  TB_CHECK(!b.in_free_queue, "block already free");
  b.prev = tail_;
  b.next = -1;
  if (tail_ >= 0) blocks_[size_t(tail_)].next = id;
  else head_ = id;
  tail_ = id;
  b.in_free_queue = true;
  ++num_free_;
}

void BlockPool::unlink_free(int32_t id) {
  Block& b = blocks_[size_t(id)];
  TB_CHECK(b.in_free_queue, "block not in the free queue");
  if (b.prev >= 0) blocks_[size_t(b.prev)].next = b.next;
  else head_ = b.next;
  if (b.next >= 0) blocks_[size_t(b.next)].prev = b.prev;
  else tail_ = b.prev;
  b.prev = b.next = -1;
  b.in_free_queue = false;
  --num_free_;
}

void BlockPool::forget_hash(int32_t id) {
  Block& b = blocks_[size_t(id)];
  if (!b.has_hash) return;
  auto it = cached_.find(b.hash);
  if (it != cached_.end() && it->second == id) {
    cached_.erase(it);
    if (record_events_) events_.push_back({KvEvent::Kind::kRemoved, b.hash});
  }
  b.has_hash = false;
  b.hash = 0;
}

std::optional<std::vector<int32_t>> BlockPool::allocate(int32_t n) {
  if (n > num_free_) return std::nullopt;
  std::vector<int32_t> ids;
  ids.reserve(size_t(n));
  for (int32_t i = 0; i < n; ++i) {
    const int32_t id = head_;
    unlink_free(id);
    forget_hash(id);  // its old content is about to be overwritten
    blocks_[size_t(id)].ref_count = 1;
    ids.push_back(id);
  }
  return ids;
}

void BlockPool::touch(const std::vector<int32_t>& ids) {
  for (int32_t id : ids) {
    Block& b = blocks_[size_t(id)];
    if (b.ref_count == 0) unlink_free(id);
    ++b.ref_count;
  }
}

void BlockPool::release(const std::vector<int32_t>& ids) {
  for (int32_t id : ids) {
    Block& b = blocks_[size_t(id)];
    TB_CHECK(b.ref_count > 0, "releasing a free block");
    if (--b.ref_count == 0) push_free_tail(id);
  }
}

void BlockPool::cache_block(int32_t id, uint64_t hash) {
  if (!prefix_caching_) return;
  Block& b = blocks_[size_t(id)];
  if (b.has_hash) return;  // a full block's content never changes
  b.has_hash = true;
  b.hash = hash;
  if (cached_.emplace(hash, id).second && record_events_)
    events_.push_back({KvEvent::Kind::kStored, hash});
}

std::optional<int32_t> BlockPool::lookup(uint64_t hash) const {
  auto it = cached_.find(hash);
  if (it == cached_.end()) return std::nullopt;
  return it->second;
}

bool BlockPool::reset_prefix_cache() {
  if (!prefix_caching_) return false;
  for (int32_t id = 0; id < num_blocks(); ++id) forget_hash(id);
  return true;
}

std::optional<uint64_t> BlockPool::block_hash(int32_t id) const {
  const Block& b = blocks_[size_t(id)];
  if (!b.has_hash) return std::nullopt;
  return b.hash;
}

std::vector<int32_t> BlockPool::free_queue() const {
  std::vector<int32_t> ids;
  for (int32_t id = head_; id >= 0; id = blocks_[size_t(id)].next) ids.push_back(id);
  return ids;
}

std::vector<KvEvent> BlockPool::take_events() {
  std::vector<KvEvent> out;
  out.swap(events_);
  return out;
}

}  // namespace turbine
