// An AsyncClient with a thread of its own, for a long-lived process that streams from many
// peers at once (the frontend's connections to its workers): one event loop serves them all.
// post() from any thread; client() only from functions run on the loop (posted ones, callbacks).
#pragma once

#include <functional>
#include <memory>
#include <thread>

#include "http/async_client.h"

namespace turbine::http {

class ClientThread {
 public:
  ClientThread();
  // Stops the loop and joins; requests in flight are dropped without on_done. Dropped on the
  // loop's own thread (the last holder let go inside a callback), it cannot join itself: the loop
  // is stopped and left to end on its own, and its client is leaked rather than destroyed under
  // it (a process-exit path).
  ~ClientThread();
  ClientThread(const ClientThread&) = delete;
  ClientThread& operator=(const ClientThread&) = delete;

  void post(std::function<void()> fn) { client_->post(std::move(fn)); }
  AsyncClient& client() { return *client_; }

 private:
  std::unique_ptr<AsyncClient> client_;
  std::thread thread_;
};

}  // namespace turbine::http
