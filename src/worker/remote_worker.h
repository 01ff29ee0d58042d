// A WorkerClient that reaches a worker in another process over the worker protocol
// (worker_protocol.h), on a shared HTTP client thread. Failures become the final kError output
// the WorkerClient contract describes: a refused connection or a worker that dies before its
// first output is kUnavailable with started == false (the router tries another instance); one
// that dies mid-stream is kUnavailable with started == true; a worker silent past
// request_timeout is kDeadlineExceeded. Outputs and event callbacks run on the client thread.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "http/client_thread.h"
#include "worker/worker_client.h"
#include "worker/worker_protocol.h"

namespace turbine {

struct RemoteWorkerOptions {
  // The longest silence on a generate stream (connect, queueing, between outputs).
  std::chrono::milliseconds request_timeout{60'000};
  // The event stream carries a load line every interval (250 ms by default): silence past this
  // means the worker is stuck or gone.
  std::chrono::milliseconds events_timeout{3'000};
  std::chrono::milliseconds events_retry{500};  // wait before re-subscribing after a loss
};

class RemoteWorker : public WorkerClient {
 public:
  // `address`: "http://host:port". The client thread must outlive this object.
  RemoteWorker(std::string address, std::shared_ptr<http::ClientThread> thread, RemoteWorkerOptions options = {});
  ~RemoteWorker() override;  // abandons requests in flight and the event stream

  Result<uint64_t> generate(WorkerRequest request, OutputSink sink) override;
  void cancel(uint64_t id) override;
  std::string describe() const override { return address_; }

  // Subscribes to the worker's event stream (KV events, load) and keeps re-subscribing after a
  // loss until this object is destroyed. on_event gets every line (a kReset first on each
  // subscription); on_lost is called once per lost subscription with the reason.
  void watch_events(std::function<void(const WorkerEvent&)> on_event, std::function<void(const Status&)> on_lost);
  // Ends the subscription: when this returns, no event callback runs again. Not on the client
  // thread (it waits for it).
  void stop_events();

 private:
  struct State;
  std::string address_;
  std::shared_ptr<http::ClientThread> thread_;
  std::shared_ptr<State> state_;
};

}  // namespace turbine
