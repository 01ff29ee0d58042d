// How the frontend reaches one engine instance, wherever it runs: in this process (LocalWorker,
// a direct call into Engine) or in another (RemoteWorker, the worker protocol over HTTP). The
// router holds one client per instance. Any thread may call; outputs come on a thread of the
// client (the engine thread, or an HTTP client thread) and the sink must not block.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/status.h"
#include "engine/request.h"

namespace turbine {

struct WorkerRequest {
  std::vector<int32_t> prompt;  // token ids
  GenerationParams params;
};

// Outputs arrive as the engine's RequestOutput, per choice, in order; every choice ends with one
// output whose finish_reason is set. A failure ends the request with one output of
// FinishReason::kError whose error_code says what kind: kResourceExhausted (the instance is full:
// 429), kInvalidArgument (the instance refused the request), kUnavailable (the instance could not
// be reached or died; RequestOutput::started says whether any output had come before), or
// kDeadlineExceeded (the instance went silent).
class WorkerClient {
 public:
  virtual ~WorkerClient() = default;
  // Starts the request; returns an id for cancel(). An error here (same kinds) means nothing was
  // started and the sink will never be called.
  virtual Result<uint64_t> generate(WorkerRequest request, OutputSink sink) = 0;
  // Stops the request (the client left, a stop string was seen). The sink may still be called
  // with outputs already on their way, and then with a final kAbort output.
  virtual void cancel(uint64_t id) = 0;
  // For logs: "local" or the worker's address.
  virtual std::string describe() const = 0;
};

}  // namespace turbine
