// A fork-join pool for kernel parallelism: the caller plus (num_threads - 1) workers run one
// parallel region at a time. Workers spin briefly between regions (a decode step issues a
// region per matmul, ~100 per token, so waking through the kernel each time would cost ms).
// One thread at a time may call parallel_for (the engine thread that owns the backend).
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <thread>
#include <vector>

#include "base/function_ref.h"

namespace turbine {

class ThreadPool {
 public:
  // num_threads <= 0 means one per hardware thread.
  explicit ThreadPool(int num_threads);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  int num_threads() const { return num_threads_; }

  // Calls fn(thread_index) once on each of the num_threads threads (the caller is index 0)
  // and returns when all have finished. fn must not call parallel_for.
  void run_on_all(FunctionRef<void(int)> fn);

  // Splits [0, n) into chunks of at least `grain` and calls fn(begin, end) over them,
  // handing chunks out dynamically.
  void parallel_for(int64_t n, int64_t grain, FunctionRef<void(int64_t, int64_t)> fn);

 private:
  void worker_loop(int index);

  int num_threads_;
  std::vector<std::thread> workers_;
  const FunctionRef<void(int)>* job_ = nullptr;
  std::atomic<uint64_t> generation_{0};
  std::atomic<int> pending_{0};
  std::atomic<bool> stop_{false};
  std::mutex mu_;
  std::condition_variable cv_;
  std::atomic<int> num_sleeping_{0};
};

// Number of hardware threads the process may use (sched affinity), at least 1.
int hardware_threads();

}  // namespace turbine
