// A WorkerClient that is a direct call into an Engine in this process (`turbine serve`, and the
// engine behind `turbine worker`'s protocol server). Outputs come on the engine thread.
#pragma once

#include <string>

#include "engine/engine.h"
#include "worker/worker_client.h"

namespace turbine {

class LocalWorker : public WorkerClient {
 public:
  explicit LocalWorker(Engine& engine) : engine_(engine) {}  // the engine outlives this
  Result<uint64_t> generate(WorkerRequest request, OutputSink sink) override;
  void cancel(uint64_t id) override { engine_.cancel(id); }
  std::string describe() const override { return "local"; }

 private:
  Engine& engine_;
};

}  // namespace turbine
