// Shared by the worker tests: a sink that gathers one request's outputs.
#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <vector>

#include "engine/request.h"

namespace turbine {

using namespace std::chrono_literals;

// Gathers one request's outputs; done when the request ended.
struct Collected {
  std::mutex mu;
  std::condition_variable cv;
  std::vector<RequestOutput> outputs;
  bool done = false;

  OutputSink sink() {
    return [this](RequestOutput&& o) {
      std::lock_guard<std::mutex> lk(mu);
      const bool last = o.finish_reason != FinishReason::kNone;
      outputs.push_back(std::move(o));
      if (last) {
        done = true;
        cv.notify_all();
      }
    };
  }
  bool wait(std::chrono::milliseconds limit = std::chrono::seconds(60)) {
    std::unique_lock<std::mutex> lk(mu);
    return cv.wait_for(lk, limit, [&] { return done; });
  }
  std::vector<int32_t> tokens() {
    std::lock_guard<std::mutex> lk(mu);
    std::vector<int32_t> t;
    for (auto& o : outputs)
      for (auto& tok : o.tokens) t.push_back(tok.token);
    return t;
  }
  RequestOutput last() {
    std::lock_guard<std::mutex> lk(mu);
    return outputs.back();
  }
};

}  // namespace turbine
