// Shared set-up for the Router tests: a router over scripted workers, a manual clock, and
// helpers to submit and wait.
#pragma once

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <numeric>
#include <string>
#include <thread>

#include "router/router.h"
#include "tests/router/scripted_worker.h"

namespace turbine::testing {

// A clock that moves only when told: latency measurements come out exact.
class ManualClock {
 public:
  Clock::time_point now() const { return Clock::time_point(Clock::duration(ticks_.load())); }
  void advance(Clock::duration d) { ticks_.fetch_add(d.count()); }

 private:
  std::atomic<Clock::rep> ticks_{std::chrono::duration_cast<Clock::duration>(std::chrono::hours(1)).count()};
};

class RouterTest : public ::testing::Test {
 protected:
  void TearDown() override {
    // Pending requests hold the workers through the router: drop them to break the cycle.
    for (auto& [id, worker] : workers_) worker->shutdown();
  }

  void make_router(RouterOptions options) { router_ = std::make_unique<Router>(std::move(options)); }

  ScriptedWorker& add(const std::string& id, const std::string& model = "m", const std::string& version = "v1",
                      int32_t block_size = 16) {
    auto worker = std::make_shared<ScriptedWorker>(id);
    workers_[id] = worker;
    InstanceInfo info;
    info.id = id;
    info.model = model;
    info.version = version;
    info.block_size = block_size;
    router_->add_instance(info, worker);
    return *worker;
  }
  ScriptedWorker& worker(const std::string& id) { return *workers_.at(id); }

  static WorkerRequest request(int num_prompt_tokens = 32, int32_t first_token = 1) {
    WorkerRequest r;
    r.prompt.resize(size_t(num_prompt_tokens));
    std::iota(r.prompt.begin(), r.prompt.end(), first_token);
    r.params.max_tokens = 16;
    return r;
  }

  struct Submitted {
    std::shared_ptr<RouteHandle> handle;
    std::shared_ptr<Collector> collector;
  };
  Submitted submit(WorkerRequest r = request(), const std::string& model = "m", const std::string& version = "") {
    auto collector = std::make_shared<Collector>(std::max(r.params.n, 1));
    Result<std::shared_ptr<RouteHandle>> handle = router_->submit(model, version, std::move(r), collector->sink());
    EXPECT_TRUE(handle.is_ok()) << handle.status().message();
    return {handle.is_ok() ? handle.value() : nullptr, collector};
  }
  // Submits and waits for the end; returns the instance that served it.
  std::string run(WorkerRequest r = request(), const std::string& model = "m", const std::string& version = "") {
    Submitted s = submit(std::move(r), model, version);
    EXPECT_TRUE(s.collector->wait());
    return s.handle ? s.handle->instance_id() : "";
  }

  InstanceStatus status(const std::string& id) {
    for (const InstanceStatus& s : router_->instances())
      if (s.info.id == id) return s;
    ADD_FAILURE() << "no instance " << id;
    return {};
  }

  // Polls `cond` (another thread makes it true) for up to 20 s.
  template <typename Cond>
  static bool eventually(Cond cond) {
    for (int i = 0; i < 2000; ++i) {
      if (cond()) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return cond();
  }

  std::unique_ptr<Router> router_;
  std::map<std::string, std::shared_ptr<ScriptedWorker>> workers_;
};

}  // namespace turbine::testing
