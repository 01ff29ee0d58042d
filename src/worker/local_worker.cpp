#include "worker/local_worker.h"

namespace turbine {

Result<uint64_t> LocalWorker::generate(WorkerRequest request, OutputSink sink) {
  EngineRequest r;
  r.prompt = std::move(request.prompt);
  r.params = std::move(request.params);
  r.sink = std::move(sink);
  return engine_.submit(std::move(r));  // kInvalidArgument, kResourceExhausted as the contract says
}

}  // namespace turbine
