// Prefix-cache keys for KV blocks: a full block's key is XXH3-64 of its token ids seeded with
// its parent block's key, so equal keys mean equal whole prefixes (up to a 64-bit collision),
// not just equal blocks. The router computes the same keys from token ids (KV-aware routing).
// Pure functions; any thread.
#pragma once

#include <cstdint>
#include <vector>

namespace turbine {

// Key of the empty prefix: the parent of a sequence's first block.
inline constexpr uint64_t kRootBlockHash = 0x9e3779b97f4a7c15ull;

// Key of the block holding tokens[0, n) whose parent's key is `parent`.
uint64_t hash_block_tokens(uint64_t parent, const int32_t* tokens, int64_t n);

// Extends `hashes` (keys of the first hashes.size() full blocks of `tokens`) to every full block
// of `tokens`. Incremental: already-computed keys are kept.
void extend_block_hashes(const std::vector<int32_t>& tokens, int64_t block_size,
                         std::vector<uint64_t>& hashes);

}  // namespace turbine
