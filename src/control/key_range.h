// Prefix ranges over byte-ordered keys, shared by the stores: the keys that start with a prefix
// are exactly those in [prefix, prefix_range_end(prefix)). Pure functions; any thread.
#pragma once

#include <string>
#include <string_view>

namespace turbine::control {

// The smallest key greater than every key that starts with `prefix`: the prefix with its last
// byte below 0xff incremented and what follows it dropped. Empty when there is no such key
// (an empty prefix, or one of 0xff bytes only): the range is then unbounded above.
inline std::string prefix_range_end(std::string_view prefix) {
  std::string end(prefix);
  while (!end.empty()) {
    auto& last = reinterpret_cast<unsigned char&>(end.back());
    if (last < 0xff) {
      ++last;
      return end;
    }
    end.pop_back();
  }
  return end;
}

inline bool has_prefix(std::string_view key, std::string_view prefix) {
  return key.substr(0, prefix.size()) == prefix;
}

}  // namespace turbine::control
