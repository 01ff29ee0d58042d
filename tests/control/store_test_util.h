// Helpers for the control tests: a watch recorder and polling with a generous limit.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "control/store.h"

namespace turbine::control::testing {

// Polls `done` until it holds or `limit` passes; true if it held.
inline bool eventually(const std::function<bool()>& done,
                       std::chrono::milliseconds limit = std::chrono::seconds(10)) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return true;
}

// "P key=value" / "D key" for each event, "S k1=v1,k2=v2" for each snapshot, in arrival order.
class WatchRecorder {
 public:
  WatchHandlers handlers() {
    return WatchHandlers{
        .on_snapshot =
            [this](std::vector<KeyValue> snapshot) {
              std::string line = "S ";
              for (size_t i = 0; i < snapshot.size(); ++i) {
                line += (i ? "," : "") + snapshot[i].key + "=" + snapshot[i].value;
              }
              add(line, 0);
            },
        .on_event =
            [this](const WatchEvent& event) {
              add(event.type == WatchEvent::Type::kPut ? "P " + event.kv.key + "=" + event.kv.value
                                                       : "D " + event.kv.key,
                  event.kv.mod_revision);
            },
    };
  }

  // Waits until `n` lines arrived (10 s at most); the lines so far.
  std::vector<std::string> wait_for(size_t n, std::chrono::milliseconds limit = std::chrono::seconds(10)) {
    std::unique_lock lock(mu_);
    changed_.wait_for(lock, limit, [&] { return lines_.size() >= n; });
    return lines_;
  }
  std::vector<std::string> lines() const {
    std::lock_guard lock(mu_);
    return lines_;
  }
  std::vector<int64_t> revisions() const {  // of the events, in arrival order
    std::lock_guard lock(mu_);
    return revisions_;
  }
  size_t num_snapshots() const {
    std::lock_guard lock(mu_);
    size_t n = 0;
    for (const auto& line : lines_) n += line.rfind("S ", 0) == 0;
    return n;
  }

 private:
  void add(std::string line, int64_t revision) {
    {
      std::lock_guard lock(mu_);
      lines_.push_back(std::move(line));
      if (revision != 0) revisions_.push_back(revision);
    }
    changed_.notify_all();
  }

  mutable std::mutex mu_;
  std::condition_variable changed_;
  std::vector<std::string> lines_;
  std::vector<int64_t> revisions_;
};

}  // namespace turbine::control::testing
