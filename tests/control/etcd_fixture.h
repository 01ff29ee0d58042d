// A real etcd for tests: EtcdProcess runs /usr/bin/etcd (Debian's etcd-server, which
// scripts/setup installs) as a child process on free loopback ports with a temporary data dir,
// and stops it by its own pid. restart() keeps the data dir and the ports, as an operator's
// restart would; restart(/*wipe=*/true) starts over empty, as a replaced etcd would.
// Elections are tuned fast (heartbeat 10 ms, election 100 ms), which also lowers etcd's minimum
// lease TTL to 1 s. The child gets SIGKILL if the thread that started it dies (PR_SET_PDEATHSIG):
// start it from the test's main thread. Not thread-safe; one owner.
#pragma once

#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "http/client.h"

namespace turbine::testing {

class EtcdProcess {
 public:
  static constexpr const char* kBinary = "/usr/bin/etcd";

  EtcdProcess() : client_port_(free_port()), peer_port_(free_port()) {
    const char* tmp = std::getenv("TMPDIR");
    std::string pattern = std::string(tmp && *tmp ? tmp : "/tmp") + "/turbine-etcd-XXXXXX";
    if (mkdtemp(pattern.data()) != nullptr) dir_ = pattern;
  }
  ~EtcdProcess() {
    kill();
    if (!dir_.empty()) {
      std::error_code ignored;
      std::filesystem::remove_all(dir_, ignored);
    }
  }
  EtcdProcess(const EtcdProcess&) = delete;
  EtcdProcess& operator=(const EtcdProcess&) = delete;

  // Starts etcd and waits until it answers a range call. "" on success, else what went wrong
  // (with the tail of etcd's log): use as ASSERT_EQ(etcd.start(), "").
  std::string start() {
    if (pid_ > 0) return "";
    if (access(kBinary, X_OK) != 0) {
      return std::string(kBinary) + " not found: install Debian's etcd-server (scripts/setup does)";
    }
    if (dir_.empty()) return "cannot create a temporary directory for etcd's data";
    const std::string client = "http://127.0.0.1:" + std::to_string(client_port_);
    const std::string peer = "http://127.0.0.1:" + std::to_string(peer_port_);
    std::vector<std::string> args = {kBinary,
                                     "--name=test",
                                     "--data-dir=" + dir_ + "/data",
                                     "--listen-client-urls=" + client,
                                     "--advertise-client-urls=" + client,
                                     "--listen-peer-urls=" + peer,
                                     "--initial-advertise-peer-urls=" + peer,
                                     "--initial-cluster=test=" + peer,
                                     "--heartbeat-interval=10",
                                     "--election-timeout=100"};
    const std::string log = log_path();
    const pid_t parent = getpid();
    pid_ = fork();
    if (pid_ < 0) return "fork failed";
    if (pid_ == 0) {
      prctl(PR_SET_PDEATHSIG, SIGKILL);
      if (getppid() != parent) _exit(1);
      const int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
      if (fd >= 0) {
        dup2(fd, STDOUT_FILENO);
        dup2(fd, STDERR_FILENO);
      }
      std::vector<char*> argv;
      for (std::string& arg : args) argv.push_back(arg.data());
      argv.push_back(nullptr);
      execv(kBinary, argv.data());
      _exit(127);
    }
    return wait_ready();
  }

  // SIGTERM to our child, then waits for it to exit (SIGKILL after 10 s).
  void stop() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGTERM);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (waitpid(pid_, nullptr, WNOHANG) == 0) {
      if (std::chrono::steady_clock::now() > deadline) {
        ::kill(pid_, SIGKILL);
        waitpid(pid_, nullptr, 0);
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    pid_ = -1;
  }

  // SIGKILL to our child: a crash.
  void kill() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
    pid_ = -1;
  }

  // Stops and starts again on the same ports; `wipe`: with an empty data dir.
  std::string restart(bool wipe = false) {
    stop();
    if (wipe) {
      std::error_code ignored;
      std::filesystem::remove_all(dir_ + "/data", ignored);
    }
    return start();
  }

  bool running() const { return pid_ > 0; }
  pid_t pid() const { return pid_; }
  int client_port() const { return client_port_; }
  std::string url() const { return "etcd://127.0.0.1:" + std::to_string(client_port_); }
  std::string http_url() const { return "http://127.0.0.1:" + std::to_string(client_port_); }
  const std::string& dir() const { return dir_; }
  std::string log_path() const { return dir_ + "/etcd.log"; }

  std::string log_tail(size_t max_bytes = 3000) const {
    std::ifstream in(log_path());
    std::stringstream text;
    text << in.rdbuf();
    std::string all = text.str();
    return all.size() > max_bytes ? all.substr(all.size() - max_bytes) : all;
  }

  // A free loopback TCP port (bound to port 0, read back, released).
  static int free_port() {
    const int fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    socklen_t len = sizeof(addr);
    int port = 0;
    if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0 &&
        getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
      port = ntohs(addr.sin_port);
    }
    close(fd);
    return port;
  }

 private:
  std::string wait_ready() {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (std::chrono::steady_clock::now() < deadline) {
      int status = 0;
      if (waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        return "etcd exited at start (status " + std::to_string(status) + "); its log:\n" + log_tail();
      }
      auto answer = http::fetch({.method = "POST",
                                 .url = http_url() + "/v3/kv/range",
                                 .headers = {},
                                 .body = R"({"key":"AA=="})",
                                 .timeout = std::chrono::milliseconds(1000)});
      if (answer.is_ok() && answer->status == 200) return "";
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    kill();
    return "etcd did not answer on " + http_url() + " within 30 s; its log:\n" + log_tail();
  }

  int client_port_;
  int peer_port_;
  std::string dir_;
  pid_t pid_ = -1;
};

}  // namespace turbine::testing
