// Sessions made ahead of need on a thread of their own, so that synthesising prompts (which
// tokenizes, with --tokenizer) never runs on the event loop while it is timing streams.
// next() is for one consumer thread; the producer is internal.
#pragma once

#include <condition_variable>
#include <deque>
#include <mutex>
#include <optional>
#include <thread>

#include "loadgen/workload.h"

namespace turbine::loadgen {

class SessionFeed {
 public:
  // Keeps up to `lookahead` sessions ready. `workload` must outlive the feed.
  SessionFeed(Workload& workload, size_t lookahead);
  ~SessionFeed();
  SessionFeed(const SessionFeed&) = delete;
  SessionFeed& operator=(const SessionFeed&) = delete;

  // The next session, waiting for the producer only when it has fallen behind; nullopt once
  // the workload is used up.
  std::optional<SessionPlan> next();
  // How many times next() had to wait: a sign the lookahead is too small.
  int64_t num_waits() const { return num_waits_; }

 private:
  void produce();

  Workload& workload_;
  const size_t lookahead_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<SessionPlan> ready_;
  bool exhausted_ = false;
  bool stopping_ = false;
  int64_t num_waits_ = 0;
  std::thread producer_;
};

}  // namespace turbine::loadgen
