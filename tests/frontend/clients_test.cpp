// Real clients against the real binary: `turbine serve` started on port 0 as its own process,
// driven by the npm packages `openai` and `@langchain/openai` (tests/tools/openai_clients.mjs),
// then stopped by its pid with SIGTERM.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <string>

#include "tests/engine/engine_test_util.h"

namespace turbine::testing {
namespace {

struct ServeProcess {
  pid_t pid = -1;
  int port = 0;

  explicit ServeProcess(const std::string& model) {
    int err[2];
    EXPECT_EQ(::pipe(err), 0);
    pid = ::fork();
    if (pid == 0) {
      ::dup2(err[1], 2);
      ::close(err[0]);
      ::execl(TURBINE_BINARY, TURBINE_BINARY, "serve", "--port", "0", "--model", model.c_str(),
              "--served-model-name", "tiny-llama", "--kv-cache-bytes", "16777216", static_cast<char*>(nullptr));
      ::_exit(127);
    }
    ::close(err[1]);
    // The server says where it listens once it is ready: "turbine: serving on http://H:P".
    FILE* f = ::fdopen(err[0], "r");
    char line[1024];
    while (std::fgets(line, sizeof line, f)) {
      const std::string s(line);
      const size_t at = s.find("serving on http://");
      if (at != std::string::npos) {
        port = std::stoi(s.substr(s.rfind(':') + 1));
        break;
      }
    }
    // Keep draining stderr so the server never blocks on a full pipe.
    std::thread([f] {
      char buf[1024];
      while (std::fgets(buf, sizeof buf, f)) {}
      std::fclose(f);
    }).detach();
  }
  ~ServeProcess() {
    if (pid > 0) {
      ::kill(pid, SIGTERM);
      int status = 0;
      ::waitpid(pid, &status, 0);
    }
  }
};

TEST(Clients, OpenAiAndLangChainPackagesDriveTheServer) {
  ServeProcess serve(make_test_model("llama3", "gguf", "q8_0"));
  ASSERT_GT(serve.port, 0) << "turbine serve did not start";
  const std::string cmd = "node " + source_dir() + "/tests/tools/openai_clients.mjs http://127.0.0.1:" +
                          std::to_string(serve.port) + " tiny-llama 2>&1";
  auto out = run_command(cmd);
  ASSERT_TRUE(out.is_ok()) << out.status().message();
  const auto report = nlohmann::json::parse(*out, nullptr, false);
  ASSERT_TRUE(report.is_object()) << *out;
  for (const char* check : {"models", "chat", "stream", "n_and_seed", "logprobs", "stop", "completions", "errors", "langchain"})
    EXPECT_TRUE(report.contains(check)) << check;
  EXPECT_EQ(report["stream"]["text"], report["chat"]["text"]);
  EXPECT_EQ(report["langchain"]["invoke"], report["chat"]["text"]);
}

}  // namespace
}  // namespace turbine::testing
