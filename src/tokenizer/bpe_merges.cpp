#include "tokenizer/bpe_merges.h"

#include <queue>

namespace turbine {

void BpeMerges::add(int32_t left, int32_t right, int32_t merged, int32_t rank) {
  table_.try_emplace(key(left, right), Merge{rank, merged});
}

const BpeMerges::Merge* BpeMerges::find(int32_t left, int32_t right) const {
  auto it = table_.find(key(left, right));
  return it == table_.end() ? nullptr : &it->second;
}

namespace {

// A candidate merge of symbol `left` with the symbol after it. Entries go stale when either side
// changes; they are checked against the current ids when popped.
struct Candidate {
  int32_t rank;
  int32_t left;      // index of the left symbol (stable: merging keeps the left index)
  int32_t right;     // index of the right symbol when queued
  int32_t left_id;   // ids when queued
  int32_t right_id;
  // Lower rank first; then leftmost. priority_queue pops the "largest", so invert.
  bool operator<(const Candidate& o) const {
    return rank != o.rank ? rank > o.rank : left > o.left;
  }
};

}  // namespace

void BpeMerges::apply(std::vector<int32_t>& symbols) const {
  const auto n = static_cast<int32_t>(symbols.size());
  if (n < 2 || table_.empty()) return;
  // Doubly linked list over symbol indices; a merged-away symbol gets id -1.
  std::vector<int32_t> prev(n), next(n);
  for (int32_t i = 0; i < n; ++i) {
    prev[i] = i - 1;
    next[i] = i + 1 < n ? i + 1 : -1;
  }
  std::vector<Candidate> storage;
  storage.reserve(n);
  std::priority_queue<Candidate> queue(std::less<Candidate>(), std::move(storage));
  auto push = [&](int32_t left) {
    if (left < 0 || next[left] < 0) return;
    const int32_t right = next[left];
    if (const Merge* m = find(symbols[left], symbols[right])) {
      queue.push({m->rank, left, right, symbols[left], symbols[right]});
    }
  };
  for (int32_t i = 0; i + 1 < n; ++i) push(i);

  while (!queue.empty()) {
    const Candidate c = queue.top();
    queue.pop();
    if (symbols[c.left] != c.left_id || next[c.left] != c.right || symbols[c.right] != c.right_id) {
      continue;  // stale: a neighbour merged since this was queued
    }
    symbols[c.left] = find(c.left_id, c.right_id)->merged;
    symbols[c.right] = -1;
    next[c.left] = next[c.right];
    if (next[c.left] >= 0) prev[next[c.left]] = c.left;
    push(prev[c.left]);
    push(c.left);
  }
  size_t out = 0;
  for (int32_t i = 0; i < n; ++i) {
    if (symbols[i] >= 0) symbols[out++] = symbols[i];
  }
  symbols.resize(out);
}

}  // namespace turbine
