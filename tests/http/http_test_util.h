// Shared by the http tests: raw POSIX clients that misbehave on purpose (slow, malformed,
// half-closed) with a minimal reader of HTTP/1.1 responses, and a one-shot notification.
// The time limits here are safety nets so a broken server fails a test instead of hanging it;
// no test asserts how long anything took.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstdlib>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "http/message.h"

namespace turbine::http::testing {

using namespace std::chrono_literals;

// How long a test waits for something that should happen at once before calling it broken.
inline constexpr std::chrono::milliseconds kSafetyLimit = 10s;

// Set once, waited for by others.
class Notification {
 public:
  void notify() {
    std::lock_guard lock(mu_);
    done_ = true;
    cv_.notify_all();
  }
  bool wait(std::chrono::milliseconds limit = kSafetyLimit) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, limit, [&] { return done_; });
  }
  bool has_been_notified() {
    std::lock_guard lock(mu_);
    return done_;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool done_ = false;
};

// A loopback port that was free a moment ago (bound, read back, closed): a connection to it is
// refused.
inline uint16_t refused_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  return ntohs(addr.sin_port);
}

// A loopback socket that listens and never accepts: a connect succeeds, no answer ever comes.
class SilentListener {
 public:
  SilentListener() {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    ::listen(fd_, 4);
    socklen_t len = sizeof addr;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
  }
  ~SilentListener() { ::close(fd_); }
  SilentListener(const SilentListener&) = delete;
  SilentListener& operator=(const SilentListener&) = delete;
  uint16_t port() const { return port_; }

 private:
  int fd_ = -1;
  uint16_t port_ = 0;
};

struct RawResponse {
  int status = 0;
  Headers headers;  // names lowercased
  std::string body;
  std::optional<std::string_view> header(std::string_view name) const {
    return find_header(headers, name);
  }
};

class RawClient {
 public:
  explicit RawClient(uint16_t port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd_ >= 0 && ::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
      ::close(fd_);
      fd_ = -1;
    }
    if (fd_ >= 0) {
      int one = 1;
      ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    }
  }
  ~RawClient() { close(); }
  RawClient(const RawClient&) = delete;
  RawClient& operator=(const RawClient&) = delete;

  bool connected() const { return fd_ >= 0; }

  bool send(std::string_view bytes) {
    while (!bytes.empty()) {
      ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return false;
      bytes.remove_prefix(static_cast<size_t>(n));
    }
    return true;
  }

  void shutdown_write() { ::shutdown(fd_, SHUT_WR); }

  // Closes with an RST instead of a FIN, as a crashed client would.
  void reset() {
    linger option{1, 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_LINGER, &option, sizeof option);
    close();
  }

  void close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

  // Reads one response (content-length, chunked, or until close; `to_head`: headers only, as
  // for HEAD). nullopt if the connection ended first or the safety limit passed.
  std::optional<RawResponse> read_response(std::chrono::milliseconds limit = kSafetyLimit,
                                           bool to_head = false) {
    auto deadline = std::chrono::steady_clock::now() + limit;
    size_t head_end;
    while ((head_end = buffered_.find("\r\n\r\n")) == std::string::npos) {
      if (!fill(deadline)) return std::nullopt;
    }
    RawResponse response;
    std::string head = buffered_.substr(0, head_end);
    buffered_.erase(0, head_end + 4);
    size_t line_end = head.find("\r\n");
    std::string status_line = head.substr(0, line_end);
    if (status_line.size() < 12 || status_line.compare(0, 5, "HTTP/") != 0) return std::nullopt;
    response.status = std::atoi(status_line.c_str() + 9);
    size_t pos = line_end == std::string::npos ? head.size() : line_end + 2;
    while (pos < head.size()) {
      size_t end = head.find("\r\n", pos);
      if (end == std::string::npos) end = head.size();
      std::string line = head.substr(pos, end - pos);
      size_t colon = line.find(':');
      std::string name = line.substr(0, colon);
      for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      std::string value = colon == std::string::npos ? "" : line.substr(colon + 1);
      while (!value.empty() && value[0] == ' ') value.erase(0, 1);
      response.headers.emplace_back(name, value);
      pos = end + 2;
    }
    if (to_head || response.status < 200 || response.status == 204 || response.status == 304) {
      return response;
    }
    if (auto length = response.header("content-length")) {
      size_t n = std::strtoull(std::string(*length).c_str(), nullptr, 10);
      while (buffered_.size() < n) {
        if (!fill(deadline)) return std::nullopt;
      }
      response.body = buffered_.substr(0, n);
      buffered_.erase(0, n);
    } else if (response.header("transfer-encoding") == "chunked") {
      while (true) {
        size_t size_end;
        while ((size_end = buffered_.find("\r\n")) == std::string::npos) {
          if (!fill(deadline)) return std::nullopt;
        }
        size_t n = std::strtoull(buffered_.c_str(), nullptr, 16);
        while (buffered_.size() < size_end + 2 + n + 2) {
          if (!fill(deadline)) return std::nullopt;
        }
        response.body += buffered_.substr(size_end + 2, n);
        buffered_.erase(0, size_end + 2 + n + 2);
        if (n == 0) break;
      }
    } else {
      while (fill(deadline)) {
      }
      response.body = std::move(buffered_);
      buffered_.clear();
    }
    return response;
  }

  // True once the server has closed the connection (EOF or reset) within the limit; bytes
  // that arrive meanwhile are kept for read_response.
  bool wait_closed(std::chrono::milliseconds limit = kSafetyLimit) {
    auto deadline = std::chrono::steady_clock::now() + limit;
    while (fill(deadline)) {
    }
    return eof_;
  }

  // Whether any byte (or the close) has arrived, without waiting.
  bool has_input_now() {
    if (!buffered_.empty() || eof_) return true;
    pollfd p{fd_, POLLIN, 0};
    return ::poll(&p, 1, 0) > 0;
  }

 private:
  // Receives more bytes; false on EOF, error or the deadline.
  bool fill(std::chrono::steady_clock::time_point deadline) {
    if (fd_ < 0 || eof_) return false;
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return false;
    pollfd p{fd_, POLLIN, 0};
    int ready = ::poll(&p, 1, static_cast<int>(left.count()));
    if (ready <= 0) return false;
    char buf[16384];
    ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
    if (n <= 0) {
      eof_ = true;
      return false;
    }
    buffered_.append(buf, static_cast<size_t>(n));
    return true;
  }

  int fd_ = -1;
  bool eof_ = false;
  std::string buffered_;
};

inline std::string url_for(uint16_t port, std::string_view path) {
  return "http://127.0.0.1:" + std::to_string(port) + std::string(path);
}

}  // namespace turbine::http::testing
