#include "loadgen/session_feed.h"

namespace turbine::loadgen {

SessionFeed::SessionFeed(Workload& workload, size_t lookahead)
    : workload_(workload), lookahead_(lookahead == 0 ? 1 : lookahead) {
  producer_ = std::thread([this] { produce(); });
}

SessionFeed::~SessionFeed() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  producer_.join();
}

void SessionFeed::produce() {
  while (true) {
    {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [&] { return stopping_ || ready_.size() < lookahead_; });
      if (stopping_) return;
    }
    std::optional<SessionPlan> session = workload_.next();  // the slow part, outside the lock
    std::lock_guard lock(mu_);
    if (!session) {
      exhausted_ = true;
      cv_.notify_all();
      return;
    }
    ready_.push_back(std::move(*session));
    cv_.notify_all();
  }
}

std::optional<SessionPlan> SessionFeed::next() {
  std::unique_lock lock(mu_);
  if (ready_.empty() && !exhausted_) ++num_waits_;
  cv_.wait(lock, [&] { return !ready_.empty() || exhausted_; });
  if (ready_.empty()) return std::nullopt;
  SessionPlan session = std::move(ready_.front());
  ready_.pop_front();
  cv_.notify_all();
  return session;
}

}  // namespace turbine::loadgen
