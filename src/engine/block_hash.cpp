#include "engine/block_hash.h"

#define XXH_INLINE_ALL
#include <xxhash.h>

namespace turbine {

uint64_t hash_block_tokens(uint64_t parent, const int32_t* tokens, int64_t n) {
  return XXH3_64bits_withSeed(tokens, size_t(n) * sizeof(int32_t), parent);
}

void extend_block_hashes(const std::vector<int32_t>& tokens, int64_t block_size,
                         std::vector<uint64_t>& hashes) {
  const int64_t num_full = int64_t(tokens.size()) / block_size;
  for (int64_t b = int64_t(hashes.size()); b < num_full; ++b) {
    const uint64_t parent = b == 0 ? kRootBlockHash : hashes[size_t(b - 1)];
    hashes.push_back(hash_block_tokens(parent, tokens.data() + b * block_size, block_size));
  }
}

}  // namespace turbine
