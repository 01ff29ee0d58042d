// Internal to http/ (includes Asio and Beast): one accepted connection of the Server. It reads
// and parses requests, hands each to the routes, writes the answers in order, and enforces the
// limits and timeouts of ServerOptions. All of it runs on the connection's strand; other
// threads reach it only through close(), post_flush() and post_abort(), which post there.
#pragma once

#include <utility>  // before Asio: Boost 1.74's awaitable.hpp uses std::exchange unincluded

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/buffers_range.hpp>
#include <boost/beast/http/parser.hpp>

#include "http/exchange.h"
#include "http/route_table.h"
#include "http/server.h"

namespace turbine::http::detail {

class ServerConnection;

// A request body kept in a std::string that grows as bytes arrive. Beast's string_body
// reserves the declared content-length up front, which would let a client make us allocate
// max_body_bytes per connection by sending one header line.
struct RequestBody {
  using value_type = std::string;
  static uint64_t size(const value_type& body) { return body.size(); }

  class reader {
   public:
    template <bool kIsRequest, class Fields>
    reader(boost::beast::http::header<kIsRequest, Fields>&, value_type& body) : body_(body) {}
    void init(const boost::optional<uint64_t>& length, boost::beast::error_code& ec) {
      if (length) body_.reserve(static_cast<size_t>(std::min<uint64_t>(*length, 64 * 1024)));
      ec = {};
    }
    template <class ConstBufferSequence>
    size_t put(const ConstBufferSequence& buffers, boost::beast::error_code& ec) {
      size_t num_bytes = 0;
      for (auto buffer : boost::beast::buffers_range_ref(buffers)) {
        body_.append(static_cast<const char*>(buffer.data()), buffer.size());
        num_bytes += buffer.size();
      }
      ec = {};
      return num_bytes;
    }
    void finish(boost::beast::error_code& ec) { ec = {}; }

   private:
    value_type& body_;
  };
};

// What the server shares with its connections. Outlives both: each connection holds it.
struct ServerState {
  ServerOptions options;
  std::shared_ptr<const ErrorFormatter> error_body;  // never null; forces the status it is given
  RouteTable routes;                                 // read-only once the server has started

  std::mutex mu;  // guards what follows
  bool stopping = false;
  int num_accepted = 0;  // open connections that were not rejected for max_connections
  std::unordered_map<const ServerConnection*, std::weak_ptr<ServerConnection>> connections;
};

class ServerConnection final : public ExchangeSink,
                               public std::enable_shared_from_this<ServerConnection> {
 public:
  // `socket` must have a strand as its executor. A `rejected` connection answers 503 to
  // whatever it receives and closes; it does not count against max_connections.
  ServerConnection(boost::asio::ip::tcp::socket socket, std::shared_ptr<ServerState> state,
                   bool rejected);
  ~ServerConnection() override;

  // Any thread. start() once, after the server has registered the connection.
  void start();
  void close();
  void post_flush(std::shared_ptr<Exchange> exchange) override;
  void post_abort() override;

 private:
  enum class Phase {
    kIdle,      // between requests: no byte of the next one yet
    kHeader,    // reading a request's start line and headers
    kBody,      // reading its body
    kHandling,  // the request is with its handler; reading on only to notice the client leave
    kDraining,  // after an error answer: input is dropped until the client closes
    kClosed,
  };

  void on_start();
  void do_read();
  void on_read(boost::system::error_code ec, size_t num_bytes);
  void on_read_end(boost::system::error_code ec);
  void parse_input();
  void dispatch();
  void maybe_send_continue();
  void fail(int status, std::string message);  // answer an error, then close
  void on_flush(const std::shared_ptr<Exchange>& exchange);
  void start_write();
  void on_write(boost::system::error_code ec, size_t num_bytes);
  void on_response_done();
  void begin_linger();
  void close_now();
  void arm_read_timer(std::chrono::milliseconds timeout);
  void on_read_timeout();
  void reset_parser();

  using Parser = boost::beast::http::request_parser<RequestBody>;

  boost::asio::ip::tcp::socket socket_;
  boost::asio::steady_timer read_timer_;   // the deadline of the current phase
  boost::asio::steady_timer write_timer_;  // the deadline of the write in flight
  uint64_t read_timer_generation_ = 0;     // a wait whose generation is stale does nothing
  uint64_t write_timer_generation_ = 0;
  std::shared_ptr<ServerState> state_;
  const bool rejected_;
  std::string remote_;

  Phase phase_ = Phase::kIdle;
  std::optional<Parser> parser_;
  std::array<char, 16 * 1024> read_buffer_;
  std::string input_;      // received, not yet parsed (the next pipelined requests)
  bool reading_ = false;   // an async_read_some is in flight
  bool peer_eof_ = false;  // the client shut down its sending side

  std::shared_ptr<Exchange> exchange_;  // the request in kHandling
  std::vector<std::string> write_queue_;
  std::vector<std::string> in_flight_;  // what the write in flight points into
  bool writing_ = false;
  bool response_complete_ = false;  // the last bytes of the current answer are queued
  bool close_after_response_ = false;
};

}  // namespace turbine::http::detail
