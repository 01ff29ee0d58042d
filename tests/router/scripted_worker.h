// Test doubles for the router tests: ScriptedWorker, a WorkerClient that answers on its own
// thread as told (tokens after a TTFT and ITL, refusal, unreachable, early or mid-stream failure,
// silence), and Collector, a sink that records what the caller saw. Real workers are tested in
// tests/worker; here only the router's behaviour is under test.
#pragma once

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "worker/worker_client.h"

namespace turbine::testing {

class ScriptedWorker : public WorkerClient {
 public:
  enum class Mode {
    kServe,          // after ttft, num_tokens outputs itl apart; the last one ends with kLength
    kRefuse,         // generate() returns kResourceExhausted (full)
    kUnreachable,    // generate() returns kUnavailable
    kFailEarly,      // accepted; after ttft the sink gets kError(fail_code, started = false)
    kFailMidStream,  // after ttft, mid_stream_tokens outputs, then kError(kUnavailable, started = true)
    kSilent,         // accepted; nothing until cancel() (then kAbort per choice)
  };

  explicit ScriptedWorker(std::string name) : name_(std::move(name)), thread_([this] { loop(); }) {}
  ~ScriptedWorker() override { shutdown(); }

  // Drops pending requests (their sinks are destroyed unanswered) and the sinks of finished
  // ones, and stops answering. Call it from the test's thread: a sink may hold the last
  // reference to this worker (through the router), which must not die on its own thread.
  void shutdown() {
    {
      std::lock_guard lock(mu_);
      stop_ = true;
    }
    cv_.notify_all();
    if (thread_.joinable()) thread_.join();
    std::map<uint64_t, Job> dropped;
    std::vector<OutputSink> finished;
    std::lock_guard lock(mu_);
    dropped.swap(jobs_);
    finished.swap(finished_sinks_);
    // The closures are destroyed after the lock is released (declared before it).
  }

  void set_mode(Mode mode) { std::lock_guard l(mu_); mode_ = mode; }
  void set_ttft(std::chrono::milliseconds d) { std::lock_guard l(mu_); ttft_ = d; }
  void set_itl(std::chrono::milliseconds d) { std::lock_guard l(mu_); itl_ = d; }
  void set_num_tokens(int n) { std::lock_guard l(mu_); num_tokens_ = n; }
  void set_fail_code(ErrorCode c) { std::lock_guard l(mu_); fail_code_ = c; }
  void set_ignore_cancel(bool v) { std::lock_guard l(mu_); ignore_cancel_ = v; }
  // A closed gate holds every request's outputs (not cancels) until open_gate().
  void close_gate() { std::lock_guard l(mu_); gate_open_ = false; }
  void open_gate() {
    { std::lock_guard l(mu_); gate_open_ = true; }
    cv_.notify_all();
  }

  int num_generate() const { std::lock_guard l(mu_); return num_generate_; }  // every call
  int num_accepted() const { std::lock_guard l(mu_); return num_accepted_; }
  int num_cancel() const { std::lock_guard l(mu_); return num_cancel_; }
  std::vector<int32_t> last_prompt() const { std::lock_guard l(mu_); return last_prompt_; }

  Result<uint64_t> generate(WorkerRequest request, OutputSink sink) override {
    std::lock_guard lock(mu_);
    ++num_generate_;
    last_prompt_ = request.prompt;
    if (mode_ == Mode::kRefuse) return Status(ErrorCode::kResourceExhausted, name_ + " is full");
    if (mode_ == Mode::kUnreachable) return unavailable(name_ + ": connection refused");
    ++num_accepted_;
    const uint64_t id = next_id_++;
    Job job;
    job.sink = std::move(sink);
    job.mode = mode_;
    job.num_choices = std::max(request.params.n, 1);
    job.num_tokens = num_tokens_;
    job.itl = itl_;
    job.fail_code = fail_code_;
    job.due = mode_ == Mode::kSilent ? Clock::time_point::max() : Clock::now() + ttft_;
    jobs_.emplace(id, std::move(job));
    cv_.notify_all();
    return id;
  }

  void cancel(uint64_t id) override {
    {
      std::lock_guard lock(mu_);
      ++num_cancel_;
      if (ignore_cancel_) return;
      auto it = jobs_.find(id);
      if (it != jobs_.end()) it->second.cancelled = true;
    }
    cv_.notify_all();
  }

  std::string describe() const override { return name_; }

 private:
  struct Job {
    OutputSink sink;
    Mode mode = Mode::kServe;
    int num_choices = 1;
    int num_tokens = 1;
    int emitted = 0;  // steps sent
    std::chrono::milliseconds itl{0};
    ErrorCode fail_code = ErrorCode::kUnavailable;
    Clock::time_point due;
    bool cancelled = false;
  };

  // One step of a due job: its outputs, and whether it is done.
  static std::vector<RequestOutput> step(Job& job, bool* done) {
    std::vector<RequestOutput> outs;
    *done = true;
    if (job.cancelled) {
      for (int c = 0; c < job.num_choices; ++c) {
        RequestOutput o;
        o.index = c;
        o.finish_reason = FinishReason::kAbort;
        outs.push_back(std::move(o));
      }
      return outs;
    }
    if (job.mode == Mode::kFailEarly || (job.mode == Mode::kFailMidStream && job.emitted == job.num_tokens)) {
      RequestOutput o;
      o.finish_reason = FinishReason::kError;
      o.error_code = job.mode == Mode::kFailEarly ? job.fail_code : ErrorCode::kUnavailable;
      o.started = job.mode == Mode::kFailMidStream;
      o.error = "scripted failure";
      outs.push_back(std::move(o));
      return outs;
    }
    ++job.emitted;
    const bool last = job.mode == Mode::kServe && job.emitted >= job.num_tokens;
    for (int c = 0; c < job.num_choices; ++c) {
      RequestOutput o;
      o.index = c;
      o.tokens.push_back(TokenLogprob{job.emitted, 0.0f, {}});
      if (last) o.finish_reason = FinishReason::kLength;
      outs.push_back(std::move(o));
    }
    *done = last;
    job.due = Clock::now() + job.itl;
    return outs;
  }

  void loop() {
    std::unique_lock lock(mu_);
    while (!stop_) {
      const Clock::time_point now = Clock::now();
      Clock::time_point next_due = Clock::time_point::max();
      auto ready = jobs_.end();
      for (auto it = jobs_.begin(); it != jobs_.end(); ++it) {
        const Job& j = it->second;
        if (j.cancelled) { ready = it; break; }
        if (!gate_open_) continue;
        if (j.due <= now) { ready = it; break; }
        next_due = std::min(next_due, j.due);
      }
      if (ready == jobs_.end()) {
        if (next_due == Clock::time_point::max()) cv_.wait(lock);
        else cv_.wait_until(lock, next_due);
        continue;
      }
      bool done = false;
      std::vector<RequestOutput> outs = step(ready->second, &done);
      OutputSink sink = ready->second.sink;  // a copy: the job may be erased while unlocked
      if (done) jobs_.erase(ready);
      lock.unlock();
      for (RequestOutput& o : outs) sink(std::move(o));
      lock.lock();
      // Kept until shutdown(): destroying the closure here could drop the last reference to
      // this worker on its own thread.
      if (done) finished_sinks_.push_back(std::move(sink));
    }
  }

  const std::string name_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::map<uint64_t, Job> jobs_;
  Mode mode_ = Mode::kServe;
  std::chrono::milliseconds ttft_{0};
  std::chrono::milliseconds itl_{0};
  int num_tokens_ = 1;
  ErrorCode fail_code_ = ErrorCode::kUnavailable;
  bool ignore_cancel_ = false;
  bool gate_open_ = true;
  bool stop_ = false;
  uint64_t next_id_ = 1;
  int num_generate_ = 0;
  int num_accepted_ = 0;
  int num_cancel_ = 0;
  std::vector<int32_t> last_prompt_;
  std::vector<OutputSink> finished_sinks_;
  std::thread thread_;  // last: starts after the fields it reads
};

// A caller's sink: records every output; wait() until the request ended.
class Collector : public std::enable_shared_from_this<Collector> {
 public:
  explicit Collector(int num_choices = 1) : num_choices_(num_choices) {}

  OutputSink sink() {
    return [self = shared_from_this()](RequestOutput&& out) { self->add(std::move(out)); };
  }

  // True once every choice got its final output or a kError came (within `timeout`).
  bool wait(std::chrono::milliseconds timeout = std::chrono::seconds(20)) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, timeout, [&] { return done_locked(); });
  }
  bool done() {
    std::lock_guard lock(mu_);
    return done_locked();
  }
  std::vector<RequestOutput> outputs() {
    std::lock_guard lock(mu_);
    return outputs_;
  }
  // The last output (the final one once done()).
  RequestOutput last() {
    std::lock_guard lock(mu_);
    return outputs_.empty() ? RequestOutput{} : outputs_.back();
  }
  int num_finals() {
    std::lock_guard lock(mu_);
    return num_finals_;
  }
  int num_tokens() {
    std::lock_guard lock(mu_);
    int n = 0;
    for (const auto& o : outputs_) n += int(o.tokens.size());
    return n;
  }

 private:
  bool done_locked() const { return saw_error_ || num_finals_ >= num_choices_; }
  void add(RequestOutput&& out) {
    {
      std::lock_guard lock(mu_);
      if (out.finish_reason == FinishReason::kError) saw_error_ = true;
      if (out.finish_reason != FinishReason::kNone) ++num_finals_;
      outputs_.push_back(std::move(out));
    }
    cv_.notify_all();
  }

  const int num_choices_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<RequestOutput> outputs_;
  int num_finals_ = 0;
  bool saw_error_ = false;
};

}  // namespace turbine::testing
