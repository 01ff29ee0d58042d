// The BPE merge table and the merge loop: given a word as a sequence of symbol ids, repeatedly
// merge the adjacent pair with the best (lowest) rank, leftmost first on ties, until no pair has a
// merge. This is Hugging Face's BPE (rank = position in `merges`) and, with rank = order of the
// merged token's score, llama.cpp's SentencePiece merge loop. Immutable after build; any thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <unordered_map>
#include <vector>

namespace turbine {

class BpeMerges {
 public:
  // Pair (left, right) merges into `merged` with priority `rank` (lower merges first). A pair
  // added twice keeps its first (best-ranked) entry, as a merges list read in order would.
  void add(int32_t left, int32_t right, int32_t merged, int32_t rank);
  void reserve(size_t num_merges) { table_.reserve(num_merges); }
  size_t size() const { return table_.size(); }

  // Merges `symbols` (token ids of one word) in place. O(n log n) in the word length.
  void apply(std::vector<int32_t>& symbols) const;

 private:
  struct Merge {
    int32_t rank;
    int32_t merged;
  };
  static uint64_t key(int32_t left, int32_t right) {
    return (static_cast<uint64_t>(static_cast<uint32_t>(left)) << 32) | static_cast<uint32_t>(right);
  }
  const Merge* find(int32_t left, int32_t right) const;

  std::unordered_map<uint64_t, Merge> table_;
};

}  // namespace turbine
