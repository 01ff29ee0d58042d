// A stand-in OpenAI server whose timing is known: each streamed answer's first token comes
// `ttft` after the request arrived and every later one `itl` after the previous was written,
// so `turbine bench`'s measurements can be checked against the script (tests) and its own
// cost measured without a model in the way (bench/loadgen.sh). Faults on request: 429s and
// streams cut short. start()/stop() from one thread; the accessors from any.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <queue>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/status.h"
#include "http/server.h"

namespace turbine::loadgen::testing {

struct StubScript {
  std::chrono::microseconds ttft{50'000};
  std::chrono::microseconds itl{10'000};
  int64_t default_tokens = 16;  // when a request has no max_tokens; otherwise max_tokens
  int64_t tokens_per_event = 1;  // tokens each content event carries
  int64_t prompt_tokens = 100;  // reported in usage
  bool send_usage = true;       // when the request asks with stream_options.include_usage
  int fail_every = 0;  // every n-th request is refused with 429 (0: none)
  int cut_every = 0;   // every n-th request's stream stops halfway, without [DONE] (0: none)
};

class ScriptedServer {
 public:
  explicit ScriptedServer(StubScript script, int http_threads = 1);
  ~ScriptedServer();  // stop()
  ScriptedServer(const ScriptedServer&) = delete;
  ScriptedServer& operator=(const ScriptedServer&) = delete;

  Status start(const std::string& host = "127.0.0.1", uint16_t port = 0);
  void stop();
  uint16_t port() const { return server_.port(); }
  std::string base_url() const;

  std::vector<nlohmann::json> bodies() const;  // request bodies in arrival order
  int64_t num_requests() const;

 private:
  using Clock = std::chrono::steady_clock;
  struct Stream;
  struct Due {
    Clock::time_point when;
    std::shared_ptr<Stream> stream;
    bool operator>(const Due& other) const { return when > other.when; }
  };

  void handle(const http::Request& request, http::Responder responder, bool chat);
  void pace();  // the scheduler thread: writes every stream's events on time
  // Writes the stream's next event; false when the stream has ended.
  bool write_next(Stream& stream);

  const StubScript script_;
  http::Server server_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::priority_queue<Due, std::vector<Due>, std::greater<>> due_;
  std::vector<nlohmann::json> bodies_;
  bool stopping_ = false;
  std::thread pacer_;
};

}  // namespace turbine::loadgen::testing
