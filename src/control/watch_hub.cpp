#include "control/watch_hub.h"

#include <utility>

#include "control/key_range.h"

namespace turbine::control {

struct WatchHub::Watcher {
  uint64_t id = 0;
  std::string prefix;
  int64_t snapshot_revision = 0;
  WatchHandlers handlers;
  // Held while a callback runs, so that a Watch's destructor waits for one in progress.
  std::mutex callback_mu;
  bool active = true;  // guarded by callback_mu
};

class WatchHub::Handle : public Watch {
 public:
  Handle(std::weak_ptr<WatchHub> hub, std::shared_ptr<Watcher> watcher)
      : hub_(std::move(hub)), watcher_(std::move(watcher)) {}
  ~Handle() override {
    std::shared_ptr<WatchHub> hub = hub_.lock();
    if (hub) hub->remove(watcher_);
  }

 private:
  std::weak_ptr<WatchHub> hub_;
  std::shared_ptr<Watcher> watcher_;
};

std::shared_ptr<WatchHub> WatchHub::create() {
  std::shared_ptr<WatchHub> hub(new WatchHub());
  hub->notifier_ = std::thread([raw = hub.get()] { raw->notifier_loop(); });
  return hub;
}

WatchHub::~WatchHub() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  // The last reference may go away inside a callback (a Watch destroyed there): no self-join.
  if (notifier_.get_id() == std::this_thread::get_id()) {
    notifier_.detach();
  } else {
    notifier_.join();
  }
}

std::unique_ptr<Watch> WatchHub::add(std::string prefix, int64_t snapshot_revision,
                                     std::vector<KeyValue> snapshot, WatchHandlers handlers) {
  auto watcher = std::make_shared<Watcher>();
  watcher->prefix = std::move(prefix);
  watcher->snapshot_revision = snapshot_revision;
  watcher->handlers = std::move(handlers);
  {
    std::lock_guard lock(mu_);
    watcher->id = next_watcher_id_++;
    watchers_.push_back(watcher);
    queue_.push_back(Item{.snapshot_for = watcher, .snapshot = std::move(snapshot), .events = {}});
  }
  wake_.notify_one();
  return std::make_unique<Handle>(weak_from_this(), std::move(watcher));
}

void WatchHub::publish(std::vector<WatchEvent> events) {
  if (events.empty()) return;
  {
    std::lock_guard lock(mu_);
    if (watchers_.empty()) return;  // nobody to tell; a later watcher starts from a snapshot
    queue_.push_back(Item{.snapshot_for = nullptr, .snapshot = {}, .events = std::move(events)});
  }
  wake_.notify_one();
}

size_t WatchHub::num_watchers() const {
  std::lock_guard lock(mu_);
  return watchers_.size();
}

void WatchHub::remove(const std::shared_ptr<Watcher>& watcher) {
  {
    std::lock_guard lock(mu_);
    std::erase(watchers_, watcher);
  }
  // The notifier may hold a copy of the list: `active` stops it. Waiting for a callback in
  // progress would deadlock when the Watch is destroyed from inside a callback.
  if (std::this_thread::get_id() == notifier_.get_id()) {
    watcher->active = false;  // on the notifier thread no callback of this hub is in progress
    return;
  }
  std::lock_guard lock(watcher->callback_mu);
  watcher->active = false;
}

void WatchHub::notifier_loop() {
  while (true) {
    Item item;
    {
      std::unique_lock lock(mu_);
      wake_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (stopping_) return;
      item = std::move(queue_.front());
      queue_.pop_front();
    }
    deliver(item);
  }
}

void WatchHub::deliver(const Item& item) {
  if (item.snapshot_for) {
    Watcher& w = *item.snapshot_for;
    std::unique_lock lock(w.callback_mu);
    if (w.active && w.handlers.on_snapshot) w.handlers.on_snapshot(item.snapshot);
    return;
  }
  std::vector<std::shared_ptr<Watcher>> watchers;
  {
    std::lock_guard lock(mu_);
    watchers = watchers_;
  }
  for (const auto& watcher : watchers) {
    Watcher& w = *watcher;
    std::unique_lock lock(w.callback_mu);
    for (const WatchEvent& event : item.events) {
      if (!w.active) break;
      if (event.kv.mod_revision <= w.snapshot_revision || !has_prefix(event.kv.key, w.prefix)) continue;
      if (w.handlers.on_event) w.handlers.on_event(event);
    }
  }
}

}  // namespace turbine::control
