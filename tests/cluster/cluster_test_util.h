// Multi-process cluster tests: the real `turbine` binary started as workers and frontends on
// loopback ports, a real etcd (tests/control/etcd_fixture.h), and helpers to talk to them. Each
// process is stopped by its own pid; its stderr is kept for failure messages.
#pragma once

#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "http/client.h"
#include "tests/control/etcd_fixture.h"
#include "tests/engine/engine_test_util.h"

namespace turbine::testing {

using namespace std::chrono_literals;

// One `turbine` subcommand as a child process. Ready once its stderr shows `ready_marker`
// followed by "http://HOST:PORT"; address() is that URL.
class TurbineProcess {
 public:
  TurbineProcess(std::vector<std::string> args, const std::string& ready_marker) : args_(std::move(args)) {
    int err[2];
    EXPECT_EQ(::pipe(err), 0);
    const pid_t parent = ::getpid();
    pid_ = ::fork();
    if (pid_ == 0) {
      ::prctl(PR_SET_PDEATHSIG, SIGKILL);
      if (::getppid() != parent) ::_exit(1);
      ::dup2(err[1], 2);
      ::close(err[0]);
      std::vector<char*> argv{const_cast<char*>(TURBINE_BINARY)};
      for (auto& a : args_) argv.push_back(a.data());
      argv.push_back(nullptr);
      ::execv(TURBINE_BINARY, argv.data());
      ::_exit(127);
    }
    ::close(err[1]);
    file_ = ::fdopen(err[0], "r");
    char line[4096];
    while (std::fgets(line, sizeof line, file_)) {
      const std::string s(line);
      append_log(s);
      const size_t at = s.find(ready_marker);
      if (at == std::string::npos) continue;
      const size_t url = s.find("http://", at);
      if (url == std::string::npos) continue;
      size_t end = url + 7;
      while (end < s.size() && s[end] != ' ' && s[end] != ',' && s[end] != '\n') ++end;
      address_ = s.substr(url, end - url);
      break;
    }
    // Keep draining stderr so the child never blocks on a full pipe.
    reader_ = std::thread([this] {
      char buf[4096];
      while (std::fgets(buf, sizeof buf, file_)) append_log(buf);
    });
  }
  ~TurbineProcess() {
    stop(SIGTERM);
    if (reader_.joinable()) reader_.join();
    if (file_) std::fclose(file_);
  }

  bool ready() const { return !address_.empty(); }
  const std::string& address() const { return address_; }  // "http://127.0.0.1:PORT"
  pid_t pid() const { return pid_; }
  // Sends `sig` and reaps the child; returns its wait status (-1 if none was running).
  int stop(int sig) {
    if (pid_ <= 0) return -1;
    ::kill(pid_, sig);
    int status = 0;
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
    return status;
  }
  std::string log() const {
    std::lock_guard<std::mutex> lk(mu_);
    return log_;
  }

 private:
  void append_log(const std::string& s) {
    std::lock_guard<std::mutex> lk(mu_);
    log_ += s;
  }

  std::vector<std::string> args_;
  pid_t pid_ = -1;
  FILE* file_ = nullptr;
  std::thread reader_;
  std::string address_;
  mutable std::mutex mu_;
  std::string log_;
};

// A worker of the small test model. Extra args go after the defaults (later flags win).
inline std::unique_ptr<TurbineProcess> start_worker(const std::string& store, const std::string& name,
                                                    std::vector<std::string> extra = {}) {
  std::vector<std::string> args = {"worker", "--model", make_test_model("llama3", "gguf", "q8_0"),
                                   "--served-model-name", name, "--store", store, "--port", "0",
                                   "--lease-ttl", "2", "--threads", "1", "--kv-cache-bytes", "16777216"};
  args.insert(args.end(), extra.begin(), extra.end());
  auto p = std::make_unique<TurbineProcess>(args, "listening on");
  EXPECT_TRUE(p->ready()) << p->log();
  return p;
}

inline std::unique_ptr<TurbineProcess> start_frontend(const std::string& store, std::vector<std::string> extra = {}) {
  std::vector<std::string> args = {"frontend", "--store", store, "--port", "0"};
  args.insert(args.end(), extra.begin(), extra.end());
  auto p = std::make_unique<TurbineProcess>(args, "serving on");
  EXPECT_TRUE(p->ready()) << p->log();
  return p;
}

inline http::ClientResponse http_get(const std::string& url) {
  http::ClientRequest r;
  r.url = url;
  r.timeout = 10s;
  auto resp = http::fetch(r);
  return resp.is_ok() ? *resp : http::ClientResponse{};
}

inline http::ClientResponse http_post(const std::string& url, const std::string& body,
                                      http::Headers headers = {{"content-type", "application/json"}}) {
  http::ClientRequest r;
  r.method = "POST";
  r.url = url;
  r.headers = std::move(headers);
  r.body = body;
  r.timeout = 60s;
  auto resp = http::fetch(r);
  return resp.is_ok() ? *resp : http::ClientResponse{};
}

// Polls `cond` every 50 ms until it holds or `limit` passes.
template <typename Cond>
bool eventually(Cond cond, std::chrono::milliseconds limit = 20s) {
  const auto end = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < end) {
    if (cond()) return true;
    std::this_thread::sleep_for(50ms);
  }
  return cond();
}

// The sum of a counter's samples in a Prometheus text whose labels contain `label_part`.
inline double metric_sum(const std::string& text, const std::string& name, const std::string& label_part = "") {
  double sum = 0;
  size_t at = 0;
  while ((at = text.find(name, at)) != std::string::npos) {
    const size_t eol = text.find('\n', at);
    const bool line_start = at == 0 || text[at - 1] == '\n';  // not "# HELP name"
    const std::string line = text.substr(at, eol - at);
    at = eol;
    if (!line_start || line.size() <= name.size() || (line[name.size()] != '{' && line[name.size()] != ' ')) continue;
    if (!label_part.empty() && line.find(label_part) == std::string::npos) continue;
    sum += std::stod(line.substr(line.rfind(' ') + 1));
  }
  return sum;
}

// Instances in the frontend's router pool.
inline double num_instances(const TurbineProcess& frontend) {
  return metric_sum(http_get(frontend.address() + "/metrics").body, "turbine:router_instances");
}

inline std::string chat(const std::string& model, const std::string& content, int max_tokens) {
  return nlohmann::json{{"model", model},
                        {"messages", {{{"role", "user"}, {"content", content}}}},
                        {"max_tokens", max_tokens},
                        {"temperature", 0}}
      .dump();
}

}  // namespace turbine::testing
