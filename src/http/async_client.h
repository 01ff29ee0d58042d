// An event-loop HTTP/1.1 client for load generation (`turbine bench`): many requests in flight
// on one thread, each answer handed over piece by piece as its bytes arrive, kept-alive
// connections reused. Everything runs on the thread that calls run(), callbacks included, so
// a caller needs no locks. post() and stop() may be called from any thread; start() and
// post_at() from the loop thread (a callback) or before run().
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string_view>

#include "base/status.h"
#include "http/client.h"
#include "http/message.h"

namespace turbine::http {

// One request's callbacks, all on the loop thread. Any may be empty.
struct AsyncHandlers {
  // The status line and headers arrived (names lowercased).
  std::function<void(int status, const Headers& headers)> on_head = {};
  // A piece of the body as it arrived, chunked framing removed; any split is possible.
  // Returns false to abandon the request: its connection is closed at once, so the server
  // sees the client leave.
  std::function<bool(std::string_view piece)> on_body = {};
  // Exactly once, last: ok when the body ended (or the caller abandoned it), otherwise the
  // transport failure: kUnavailable (cannot resolve or connect), kDeadlineExceeded (silent
  // past ClientRequest::timeout), kIoError (connection broken, malformed answer), or
  // kInvalidArgument (a bad URL).
  std::function<void(Status status)> on_done = {};
};

struct AsyncClientStats {
  uint64_t connections_opened = 0;  // TCP connections made
  uint64_t connections_reused = 0;  // requests sent on a kept-alive connection
  uint64_t retries = 0;  // requests resent on a new connection after a kept-alive one failed
};

class AsyncClient {
 public:
  struct Options {
    // Kept-alive connections held per host:port for reuse; more are closed after use.
    size_t max_idle_per_host = 1024;
    // run() returns only on stop(), not when idle: a client serving requests posted from other
    // threads over a long life (the frontend's connections to workers) runs it on its own thread.
    bool run_until_stopped = false;
  };

  AsyncClient();
  explicit AsyncClient(Options options);
  ~AsyncClient();  // requests still in flight are dropped without their on_done
  AsyncClient(const AsyncClient&) = delete;
  AsyncClient& operator=(const AsyncClient&) = delete;

  // Starts `request` (ClientRequest::timeout bounds each step: connect, send, every read)
  // and returns at once. An idle kept-alive connection to the same host:port is used when
  // there is one; if it turns out to have been closed by the server before any answer
  // came, the request is resent once on a new connection.
  void start(ClientRequest request, AsyncHandlers handlers);

  // Runs `fn` on the loop thread soon (any thread), or at `when` (loop thread).
  void post(std::function<void()> fn);
  void post_at(std::chrono::steady_clock::time_point when, std::function<void()> fn);
  // Drops every post_at call not yet run: their functions never run. Loop thread.
  void cancel_timers();

  // Runs the loop on the calling thread until no request, timer or posted call is left,
  // or until stop(). Call it again after it returns to go on.
  void run();
  // Makes run() return soon; requests in flight stay where they are. Any thread.
  void stop();

  size_t num_in_flight() const;  // loop thread
  AsyncClientStats stats() const;  // loop thread

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace turbine::http
