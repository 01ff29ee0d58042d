// splitmix64 (Steele, Lea and Flood, 2014): a few cycles per number, and the same sequence for a
// seed on every platform and standard library (which std:: distributions do not promise). Used
// where a seed must mean the same thing everywhere (test weights) or speed matters (routing).
#pragma once

#include <cstdint>

namespace turbine {

class SplitMix64 {
 public:
  explicit SplitMix64(uint64_t seed) : state_(seed) {}
  uint64_t next() {
    uint64_t z = (state_ += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  }

 private:
  uint64_t state_;
};

}  // namespace turbine
