// One routed request: its attempts (one per instance tried), the sink wrapper that feeds the
// instances' signals and turns an early failure into a retry elsewhere, and cancellation.
// Created by Router::submit(); cancel() and the accessors may be called from any thread.
//
//   submit ─> attempt 1 (A) ─kError before any output─> attempt 2 (B) ─> outputs ─> sink
//               │ generate() failed at once: the next attempt on the same thread
//               └ outputs started: forwarded; a later failure is final (no retry)
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "router/route_context.h"
#include "worker/worker_client.h"

namespace turbine {

struct RouterCore;
struct PoolSnapshot;

class RouteHandle : public std::enable_shared_from_this<RouteHandle> {
 public:
  // Router::submit() builds handles; the key keeps others from doing so.
  class Key {
    friend class Router;
    Key() = default;
  };
  RouteHandle(Key, std::shared_ptr<RouterCore> core, std::string model, std::string version,
              WorkerRequest request, OutputSink sink);
  ~RouteHandle();

  // Cancels the current attempt; if a retry is between instances, it does not start and the
  // sink gets a kAbort output per choice instead. Idempotent.
  void cancel();
  // The instance of the latest attempt ("" before the first); for logs and tests.
  std::string instance_id() const;
  int32_t num_attempts() const;

 private:
  friend class Router;
  struct Attempt;

  // Starts the first attempt (Router::submit). Returns the time spent inside
  // WorkerClient::generate(), which the overhead histogram leaves out.
  Clock::duration start(const PoolSnapshot& snapshot);

  // Starts attempts until one is running or none is left (then the sink gets the final error).
  // `generate_time` (may be null) accumulates the time spent inside generate().
  void run_attempts(const PoolSnapshot* snapshot, Clock::duration* generate_time);
  // Picks the next instance and starts its in-flight bookkeeping; null when none is left.
  // Called with mu_ held.
  std::shared_ptr<Attempt> pick_attempt(const PoolSnapshot& snapshot);
  void on_output(Attempt& attempt, RequestOutput&& out);
  // Records a failure before any output; true when another instance may be tried.
  bool note_failure(Attempt& attempt, ErrorCode code, const std::string& message);
  // The final kError once no instance is left: kResourceExhausted if every failure was "full".
  void deliver_exhausted();
  void deliver_final_error(ErrorCode code, std::string message);
  void deliver_abort();

  const std::shared_ptr<RouterCore> core_;
  const std::string model_;
  const std::string version_;  // "" = any
  WorkerRequest request_;      // kept for retries
  PromptBlocks prompt_blocks_;  // over request_.prompt, hashed on first use (KV policy)
  OutputSink sink_;
  const int32_t num_choices_;

  mutable std::mutex mu_;  // guards the fields below (not held across generate() or the sink)
  std::shared_ptr<Attempt> current_;
  std::vector<uint32_t> tried_;  // Instance::key() of every attempt so far
  bool cancelled_ = false;
  bool all_full_ = true;         // every failure so far was kResourceExhausted
  std::string last_error_;       // message of the last failure, for the final error
};

}  // namespace turbine
