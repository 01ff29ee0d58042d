// The worker protocol's server (worker_protocol.h): one instance — an engine, or an external
// OpenAI-compatible server — behind HTTP, for frontends in other processes. Generate requests
// stream their outputs as lines; the event stream carries prefix-cache changes (a mirror of the
// engine's cached block keys is kept here so a new subscriber first gets the whole set) and a
// load line every interval, which doubles as a heartbeat. start()/stop() from the owning thread;
// publish_kv_events from the engine thread.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <unordered_set>
#include <vector>

#include "http/server.h"
#include "worker/worker_client.h"
#include "worker/worker_protocol.h"

namespace turbine {

struct WorkerServerOptions {
  http::ServerOptions http;
  std::chrono::milliseconds load_interval{250};  // event-stream load lines (heartbeat)
  // The host frontends reach this worker at, in its address and id; "": the listen host, which
  // must then not be a wildcard (0.0.0.0 or ::).
  std::string advertise_host;
};

class WorkerServer {
 public:
  // `client` runs the requests and `load` reports the instance's load; both outlive the server.
  WorkerServer(WorkerClient& client, WorkerInfo info, std::function<WorkerLoad()> load,
               WorkerServerOptions options = {});
  ~WorkerServer();

  // Binds host:port (0: any); info().address and id then name the advertised host and the bound
  // port. kInvalidArgument for a wildcard host with no advertise_host.
  Status start(const std::string& host, uint16_t port);
  uint16_t port() const { return server_.port(); }
  // Ends event streams and closes every connection: open generate streams end without their
  // last line, as if the worker had died (frontends retry or report). Idempotent.
  void stop();
  const WorkerInfo& info() const { return info_; }

  // Engine thread: blocks entering or leaving the prefix cache.
  void publish_kv_events(const std::vector<KvEvent>& events);

 private:
  void handle_generate(http::Request request, http::Responder responder);
  void handle_cancel(http::Request request, http::Responder responder);
  void handle_events(http::Request request, http::Responder responder);
  void load_loop();

  WorkerClient& client_;
  WorkerInfo info_;
  std::function<WorkerLoad()> load_;
  WorkerServerOptions options_;
  http::Server server_;

  std::mutex mu_;  // the mirror and the subscribers, so each subscriber sees events in order
  std::unordered_set<uint64_t> cached_blocks_;
  std::vector<std::shared_ptr<http::ResponseStream>> subscribers_;
  std::condition_variable stop_cv_;
  bool stopping_ = false;
  std::thread load_thread_;
};

}  // namespace turbine
