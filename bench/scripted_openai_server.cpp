// The scripted OpenAI server (tests/loadgen/scripted_server.h) as a process, for measuring
// `turbine bench` itself: known TTFT and ITL, no model. Runs until SIGINT or SIGTERM.
#include <csignal>
#include <cstdio>

#include <CLI/CLI.hpp>

#include "tests/loadgen/scripted_server.h"

int main(int argc, char** argv) {
  using namespace turbine::loadgen::testing;
  CLI::App app{"an OpenAI-compatible server with scripted timing, for benchmarking turbine bench"};
  int port = 0;
  int http_threads = 1;
  double ttft_ms = 50, itl_ms = 10;
  int64_t tokens_per_event = 1;
  app.add_option("--port", port, "port (0: any free one)");
  app.add_option("--http-threads", http_threads, "io threads");
  app.add_option("--ttft-ms", ttft_ms, "time to the first token");
  app.add_option("--itl-ms", itl_ms, "gap between tokens");
  app.add_option("--tokens-per-event", tokens_per_event, "tokens per streamed event");
  CLI11_PARSE(app, argc, argv);

  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  StubScript script;
  script.ttft = std::chrono::microseconds(int64_t(ttft_ms * 1000));
  script.itl = std::chrono::microseconds(int64_t(itl_ms * 1000));
  script.tokens_per_event = tokens_per_event;
  ScriptedServer server(script, http_threads);
  if (auto s = server.start("127.0.0.1", uint16_t(port)); !s.is_ok()) {
    std::fprintf(stderr, "scripted_openai_server: %s\n", s.message().c_str());
    return 1;
  }
  std::fprintf(stderr, "scripted_openai_server: serving on %s\n", server.base_url().c_str());
  std::fflush(stderr);
  int sig = 0;
  sigwait(&signals, &sig);
  server.stop();
  return 0;
}
