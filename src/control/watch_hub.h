// In-process prefix watches for a store that sees every change itself (the SQLite store): the
// store publishes each committed change, and one notifier thread hands snapshots and events to
// the matching watchers, in commit order, never under the store's lock.
// add() and publish() may be called from any thread; the store calls both under its own lock so
// that their order is the commit order. Callbacks run on the notifier thread only.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "control/store.h"

namespace turbine::control {

class WatchHub : public std::enable_shared_from_this<WatchHub> {
 public:
  // Starts the notifier thread. Always held in a shared_ptr (the watches keep a weak one).
  static std::shared_ptr<WatchHub> create();
  ~WatchHub();  // stops the notifier; what was queued and not yet delivered is dropped
  WatchHub(const WatchHub&) = delete;
  WatchHub& operator=(const WatchHub&) = delete;

  // Registers a watcher on `prefix` whose view is `snapshot`, taken at store revision
  // `snapshot_revision`: it gets the snapshot first, then the events published after this call
  // whose revision is above `snapshot_revision`. Destroying the returned Watch stops them.
  std::unique_ptr<Watch> add(std::string prefix, int64_t snapshot_revision,
                             std::vector<KeyValue> snapshot, WatchHandlers handlers);

  // Queues `events` (one commit, or several in revision order) for every matching watcher.
  void publish(std::vector<WatchEvent> events);

  size_t num_watchers() const;

 private:
  struct Watcher;
  class Handle;
  struct Item {
    std::shared_ptr<Watcher> snapshot_for;  // set: a snapshot for this watcher only
    std::vector<KeyValue> snapshot;
    std::vector<WatchEvent> events;
  };

  WatchHub() = default;
  void remove(const std::shared_ptr<Watcher>& watcher);
  void notifier_loop();
  void deliver(const Item& item);

  mutable std::mutex mu_;
  std::condition_variable wake_;
  std::deque<Item> queue_;                         // guarded by mu_
  std::vector<std::shared_ptr<Watcher>> watchers_;  // guarded by mu_
  uint64_t next_watcher_id_ = 1;                    // guarded by mu_
  bool stopping_ = false;                           // guarded by mu_
  std::thread notifier_;
};

}  // namespace turbine::control
