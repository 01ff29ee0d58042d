// Shared by the registry tests: readable ResolvedModel failures, and polling for what another
// thread (a store watch) makes true, with a generous safety limit.
#pragma once

#include <chrono>
#include <functional>
#include <ostream>
#include <thread>

#include "registry/version_picker.h"

namespace turbine::registry {

inline void PrintTo(const ResolvedModel& r, std::ostream* os) {
  *os << "{" << r.model << ", " << (r.version.empty() ? "(any)" : r.version) << (r.pinned ? ", pinned}" : "}");
}

namespace testing {

// Polls `done` until it holds or `limit` passes; true if it held.
inline bool eventually(const std::function<bool()>& done,
                       std::chrono::milliseconds limit = std::chrono::seconds(10)) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return true;
}

}  // namespace testing
}  // namespace turbine::registry
