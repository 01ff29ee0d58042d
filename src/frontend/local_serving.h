// `turbine serve`'s serving pieces in one process: each model's engine becomes an instance of the
// router (a LocalWorker; its prefix-cache events feed the router's KV index directly), the models
// go into the catalog with their metrics, and the frontend gets the parts it joins. The same
// router and frontend code then serve a single machine and a cluster. Built on the starting
// thread; afterwards the parts are used as their own headers say.
#pragma once

#include <memory>
#include <vector>

#include "frontend/model_catalog.h"
#include "frontend/openai_frontend.h"
#include "router/router.h"
#include "worker/local_worker.h"

namespace turbine {

class LocalServing {
 public:
  // `models` run in this process (each has an engine, created with EngineOptions::kv_events so
  // the KV-aware policy sees their caches). kInvalidArgument for bad router options or two
  // models with one name.
  static Result<std::unique_ptr<LocalServing>> create(std::vector<std::shared_ptr<ServedModel>> models,
                                                      RouterOptions router_options = {});

  // Stops the engines first, here on the owning thread: their last outputs and KV events still
  // find the router, and no engine is left to be destroyed later by a request that held its
  // model (possibly on that engine's own thread).
  ~LocalServing();

  FrontendParts parts() { return {&catalog_, router_.get(), metrics_}; }
  Router& router() { return *router_; }
  const ModelCatalog& catalog() const { return catalog_; }
  const std::shared_ptr<ServingMetrics>& metrics() const { return metrics_; }

 private:
  LocalServing() = default;
  std::shared_ptr<ServingMetrics> metrics_ = std::make_shared<ServingMetrics>();
  std::unique_ptr<Router> router_;
  std::vector<std::shared_ptr<LocalWorker>> workers_;
  ModelCatalog catalog_;
};

// The router's id for the engine of `model` in this process.
std::string local_instance_id(const std::string& model);

}  // namespace turbine
