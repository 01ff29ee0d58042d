// `turbine bench` as a user runs it: the real binary against the scripted server, --output and
// --compare files, warm-up, and clear errors for bad flags.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>
#include <thread>

#include <nlohmann/json.hpp>

#include "tests/loadgen/scripted_server.h"

namespace turbine::loadgen {
namespace {

using namespace std::chrono_literals;

struct CommandResult {
  int exit_code = -1;
  std::string output;  // stdout and stderr together
};

CommandResult run_bench(const std::string& args) {
  const std::string command = std::string(TURBINE_BINARY) + " bench " + args + " 2>&1";
  CommandResult r;
  FILE* pipe = ::popen(command.c_str(), "r");
  if (pipe == nullptr) return r;
  std::array<char, 4096> buf;
  size_t n;
  while ((n = std::fread(buf.data(), 1, buf.size(), pipe)) > 0) r.output.append(buf.data(), n);
  const int status = ::pclose(pipe);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

std::string scratch(const std::string& name) {
  const auto dir = std::filesystem::temp_directory_path() / ("turbine-bench-cli-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  return (dir / name).string();
}

nlohmann::json read_json(const std::string& path) {
  std::ifstream in(path);
  return nlohmann::json::parse(in, nullptr, false);
}

// Starts `turbine bench ARGS` with its output going to `log`; its pid.
pid_t spawn_bench(const std::vector<std::string>& args, const std::string& log) {
  std::vector<std::string> argv = {TURBINE_BINARY, "bench"};
  argv.insert(argv.end(), args.begin(), args.end());
  std::vector<char*> c_argv;
  for (auto& a : argv) c_argv.push_back(a.data());
  c_argv.push_back(nullptr);
  const pid_t pid = ::fork();
  if (pid == 0) {  // only async-signal-safe calls until exec: the test process has threads
    const int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0) ::_exit(99);
    ::dup2(fd, STDOUT_FILENO);
    ::dup2(fd, STDERR_FILENO);
    ::execv(c_argv[0], c_argv.data());
    ::_exit(98);
  }
  return pid;
}

// The exit status of `pid`, waiting at most 30 s (then it is killed and -1 returned).
int wait_exit_code(pid_t pid) {
  int status = 0;
  for (int i = 0; i < 3000; ++i) {
    if (::waitpid(pid, &status, WNOHANG) == pid) return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    std::this_thread::sleep_for(10ms);
  }
  ::kill(pid, SIGKILL);
  ::waitpid(pid, &status, 0);
  return -1;
}

class BenchCli : public ::testing::Test {
 protected:
  void SetUp() override {
    testing::StubScript script;
    script.ttft = 10ms;
    script.itl = 2ms;
    server_ = std::make_unique<testing::ScriptedServer>(script);
    ASSERT_TRUE(server_->start().is_ok());
  }
  std::string base() const { return "--base-url " + server_->base_url() + " --no-progress "; }
  std::unique_ptr<testing::ScriptedServer> server_;
};

TEST_F(BenchCli, RunsWritesItsSettingsAndResultsAndCompares) {
  const std::string a = scratch("a.json"), b = scratch("b.json");
  auto run_a = run_bench(base() + "--num-requests 6 --concurrency 2 --input-len 10 --output-len 4 "
                         "--slo ttft_ms=5000 --label first --output " + a + " --output-requests");
  ASSERT_EQ(run_a.exit_code, 0) << run_a.output;
  EXPECT_NE(run_a.output.find("requests     6 succeeded, 0 failed"), std::string::npos) << run_a.output;
  EXPECT_NE(run_a.output.find("model stub"), std::string::npos);  // found through /v1/models
  EXPECT_NE(run_a.output.find("TTFT"), std::string::npos);
  EXPECT_NE(run_a.output.find("goodput"), std::string::npos);
  nlohmann::json doc = read_json(a);
  ASSERT_TRUE(doc.is_object()) << a;
  EXPECT_EQ(doc["turbine_bench"], 1);
  EXPECT_EQ(doc["settings"]["model"], "stub");
  EXPECT_EQ(doc["settings"]["label"], "first");
  EXPECT_EQ(doc["settings"]["concurrency"], 2);
  EXPECT_EQ(doc["settings"]["input_len"], "10");
  EXPECT_EQ(doc["settings"]["slo"], "ttft_ms=5000");
  EXPECT_EQ(doc["settings"]["command"][1], "bench");
  EXPECT_EQ(doc["summary"]["num_succeeded"], 6);
  EXPECT_EQ(doc["summary"]["output_tokens"], 24);
  EXPECT_EQ(doc["summary"]["num_good"], 6);
  ASSERT_EQ(doc["requests"].size(), 6u);
  EXPECT_EQ(doc["requests"][0]["itl_s"].size(), 3u);

  auto run_b = run_bench(base() + "--endpoint completions --num-requests 4 --concurrency 1 "
                         "--input-len 10 --output-len 4 --output " + b);
  ASSERT_EQ(run_b.exit_code, 0) << run_b.output;
  EXPECT_EQ(read_json(b)["settings"]["url"], server_->base_url() + "/v1/completions");
  EXPECT_TRUE(read_json(b)["summary"]["goodput"].is_null());  // no SLO given

  auto compared = run_bench("--compare " + a + " " + b);
  ASSERT_EQ(compared.exit_code, 0) << compared.output;
  EXPECT_NE(compared.output.find("A: first (" + a + ")"), std::string::npos) << compared.output;
  EXPECT_NE(compared.output.find("B/A"), std::string::npos);
  EXPECT_NE(compared.output.find("TTFT p99 (ms)"), std::string::npos);
  EXPECT_NE(compared.output.find("endpoint: chat -> completions"), std::string::npos);
  EXPECT_NE(compared.output.find("concurrency: 2 -> 1"), std::string::npos);
  EXPECT_EQ(compared.output.find("goodput (req/s)"), std::string::npos);  // B has none to compare
}

TEST_F(BenchCli, ATraceIsReplayedWholeAndConcurrentlyByDefault) {
  // 150 lines a millisecond apart (epoch-stamped): more than the default 100 requests, and far
  // more than one at a time given the stub's 10 ms TTFT.
  const std::string trace = scratch("trace.jsonl"), out = scratch("trace.json");
  {
    std::ofstream f(trace);
    for (int i = 0; i < 150; ++i)
      f << "{\"timestamp\":" << 1700000000000LL + i << ",\"input_length\":8,\"output_length\":3}\n";
  }
  auto r = run_bench(base() + "--model stub --workload trace --dataset " + trace + " --output " + out);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  nlohmann::json doc = read_json(out);
  EXPECT_EQ(doc["summary"]["num_succeeded"], 150);
  EXPECT_GT(doc["summary"]["max_in_flight"].get<double>(), 1.0);
  EXPECT_EQ(doc["settings"]["concurrency"], 0);  // no cap unless asked
}

TEST_F(BenchCli, TheApiKeyStaysOutOfTheOutputFile) {
  const std::string out = scratch("key.json");
  auto r = run_bench(base() + "--model stub --api-key sk-very-secret --num-requests 1 --output " + out);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  std::ifstream in(out);
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_EQ(text.find("sk-very-secret"), std::string::npos);
  EXPECT_NE(text.find("REDACTED"), std::string::npos);
}

TEST_F(BenchCli, WarmupRequestsAreSentButNotCounted) {
  auto r = run_bench(base() + "--model stub --warmup 3 --num-requests 5 --concurrency 2 --input-len 8 --output-len 2");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("warm-up: 3 requests, 0 failed"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("requests     5 succeeded"), std::string::npos) << r.output;
  EXPECT_EQ(server_->num_requests(), 8);
}

TEST_F(BenchCli, BadFlagsAndFilesGetClearErrors) {
  struct Case {
    std::string args;
    std::string expect;
  };
  const std::string not_json = scratch("not.json");
  std::ofstream(not_json) << "{\"a\":1}";
  const Case cases[] = {
      {base() + "--input-len nope", "--input-len 'nope': expected N, uniform:LO:HI"},
      {base() + "--output-len uniform:9:3", "--output-len 'uniform:9:3'"},
      {base() + "--request-rate fast", "--request-rate 'fast'"},
      {base() + "--slo ttft=3", "--slo 'ttft=3'"},
      {base() + "--request-rate inf --duration 5", "--request-rate inf sends every request at once"},
      {base() + "--workload jsonl", "--workload jsonl needs --dataset FILE"},
      {base() + "--workload nope", "--workload 'nope': expected one of random, shared-prefix"},
      {base() + "--endpoint embeddings", "--endpoint must be chat or completions"},
      {base() + "--extra-body '[1]'", "--extra-body must be a JSON object"},
      {base() + "--tokenizer /nonexistent/tokenizer.json", "/nonexistent/tokenizer.json"},
      {"--base-url https://example.com", "not an http:// URL"},
      {"--num-requests 3", "give --base-url"},
      {"--compare /nonexistent/a.json " + not_json, "/nonexistent/a.json: cannot open"},
      {"--compare " + not_json + " " + not_json, "not a `turbine bench --output` file"},
  };
  for (const Case& c : cases) {
    auto r = run_bench(c.args);
    EXPECT_EQ(r.exit_code, 1) << c.args << "\n" << r.output;
    EXPECT_NE(r.output.find(c.expect), std::string::npos) << c.args << "\n" << r.output;
  }
  EXPECT_EQ(server_->num_requests(), 0);  // every mistake caught before any load
}

TEST_F(BenchCli, CtrlCStopsIssuingAndStillReports) {
  // 10,000 requests would take minutes; SIGINT after a few have finished ends the run early
  // with the results so far, marked as interrupted, and exit status 130.
  const std::string out_json = scratch("interrupted.json"), log = scratch("interrupted.log");
  const pid_t pid = spawn_bench({"--base-url", server_->base_url(), "--model", "stub", "--num-requests", "10000",
                                 "--concurrency", "2", "--input-len", "8", "--output-len", "50", "--no-progress",
                                 "--output", out_json},
                                log);
  ASSERT_GT(pid, 0);
  const auto deadline = std::chrono::steady_clock::now() + 20s;
  while (server_->num_requests() < 6 && std::chrono::steady_clock::now() < deadline) std::this_thread::sleep_for(20ms);
  ASSERT_GE(server_->num_requests(), 6);
  ::kill(pid, SIGINT);
  EXPECT_EQ(wait_exit_code(pid), 130);
  std::ifstream in(log);
  const std::string output((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_NE(output.find("interrupted: waiting for the requests in flight"), std::string::npos) << output;
  nlohmann::json doc = read_json(out_json);
  ASSERT_TRUE(doc.is_object()) << output;
  EXPECT_EQ(doc["settings"]["interrupted"], true);
  const int64_t done = doc["summary"]["num_succeeded"].get<int64_t>();
  EXPECT_GE(done, 4);
  EXPECT_LT(done, 10000);
  EXPECT_EQ(doc["summary"]["num_failed"], 0);  // the requests in flight finished, none was cut
  EXPECT_EQ(server_->num_requests(), done);    // nothing more was sent after the signal
}

TEST_F(BenchCli, CtrlCDoesNotWaitForATracesNextLine) {
  const std::string trace = scratch("slow-trace.jsonl"), log = scratch("slow-trace.log");
  std::ofstream(trace) << "{\"timestamp\":0,\"input_length\":8,\"output_length\":2}\n"
                          "{\"timestamp\":3600000,\"input_length\":8,\"output_length\":2}\n";
  const pid_t pid = spawn_bench({"--base-url", server_->base_url(), "--model", "stub", "--workload", "trace",
                                 "--dataset", trace, "--no-progress"},
                                log);
  ASSERT_GT(pid, 0);
  const auto deadline = std::chrono::steady_clock::now() + 20s;
  while (server_->num_requests() < 1 && std::chrono::steady_clock::now() < deadline) std::this_thread::sleep_for(20ms);
  std::this_thread::sleep_for(200ms);  // the first request done; the next line is an hour away
  ::kill(pid, SIGINT);
  EXPECT_EQ(wait_exit_code(pid), 130);  // within the 30 s wait, not an hour
  EXPECT_EQ(server_->num_requests(), 1);
}

TEST(BenchCliNoServer, SaysWhyWhenNothingSucceeded) {
  auto r = run_bench("--base-url http://127.0.0.1:1 --model m --num-requests 2 --no-progress");
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("error        connect: 2"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("no request succeeded"), std::string::npos) << r.output;
}

}  // namespace
}  // namespace turbine::loadgen
