#include "http/server_connection.h"

#include <algorithm>
#include <iterator>

#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/http/error.hpp>

namespace turbine::http::detail {

namespace asio = boost::asio;
namespace bhttp = boost::beast::http;
using boost::system::error_code;

namespace {

// Input kept for pipelined requests, beyond one request header, while a request is handled.
constexpr size_t kReadAheadBytes = 64 * 1024;

std::string endpoint_string(const asio::ip::tcp::socket& socket) {
  error_code ec;
  auto endpoint = socket.remote_endpoint(ec);
  if (ec) return "unknown";
  std::string address = endpoint.address().to_string(ec);
  if (endpoint.address().is_v6()) address = "[" + address + "]";
  return address + ":" + std::to_string(endpoint.port());
}

std::string_view to_std(boost::beast::string_view s) { return {s.data(), s.size()}; }

// Splits a request-target into path and query. An absolute-form target
// ("http://host/path?q", which proxies send) routes by its path.
void split_target(std::string_view target, std::string* path, std::string* query) {
  if (!target.empty() && target[0] != '/') {
    size_t scheme = target.find("://");
    if (scheme != std::string_view::npos) {
      size_t slash = target.find('/', scheme + 3);
      target = slash == std::string_view::npos ? std::string_view("/") : target.substr(slash);
    }
  }
  size_t q = target.find('?');
  *path = std::string(target.substr(0, q));
  *query = q == std::string_view::npos ? std::string() : std::string(target.substr(q + 1));
}

}  // namespace

ServerConnection::ServerConnection(asio::ip::tcp::socket socket, std::shared_ptr<ServerState> state,
                                   bool rejected)
    : socket_(std::move(socket)),
      read_timer_(socket_.get_executor()),
      write_timer_(socket_.get_executor()),
      state_(std::move(state)),
      rejected_(rejected),
      remote_(endpoint_string(socket_)) {}

ServerConnection::~ServerConnection() = default;

void ServerConnection::start() {
  asio::post(socket_.get_executor(), [self = shared_from_this()] { self->on_start(); });
}

void ServerConnection::close() {
  asio::post(socket_.get_executor(), [self = shared_from_this()] { self->close_now(); });
}

void ServerConnection::post_flush(std::shared_ptr<Exchange> exchange) {
  asio::post(socket_.get_executor(), [self = shared_from_this(), exchange = std::move(exchange)] {
    self->on_flush(exchange);
  });
}

void ServerConnection::post_abort() {
  asio::post(socket_.get_executor(), [self = shared_from_this()] { self->close_now(); });
}

void ServerConnection::on_start() {
  if (phase_ == Phase::kClosed) return;  // stop() got here first
  if (rejected_) {
    fail(503, "the server has too many open connections");
  } else {
    reset_parser();
    // A fresh connection that sends nothing is as idle as a kept-alive one, but nothing
    // has been served on it yet: give it the (shorter) header deadline.
    arm_read_timer(state_->options.header_timeout);
  }
  do_read();
}

void ServerConnection::reset_parser() {
  const ServerOptions& options = state_->options;
  parser_.emplace();
  parser_->header_limit(
      static_cast<uint32_t>(std::min<size_t>(options.max_header_bytes, UINT32_MAX)));
  parser_->body_limit(static_cast<uint64_t>(options.max_body_bytes));
  parser_->eager(true);
}

void ServerConnection::do_read() {
  if (reading_ || peer_eof_ || phase_ == Phase::kClosed) return;
  // While a request is with its handler we read on only to notice the client leave, keeping
  // what arrives for the next request. A client that pipelines more than this is paused
  // (TCP flow control holds the rest) until the answer is out; meanwhile a disconnect goes
  // unnoticed.
  if (phase_ == Phase::kHandling &&
      input_.size() >= state_->options.max_header_bytes + kReadAheadBytes) {
    return;
  }
  reading_ = true;
  socket_.async_read_some(
      asio::buffer(read_buffer_),
      [self = shared_from_this()](error_code ec, size_t n) { self->on_read(ec, n); });
}

void ServerConnection::on_read(error_code ec, size_t num_bytes) {
  reading_ = false;
  if (phase_ == Phase::kClosed) return;
  if (ec) {
    on_read_end(ec);
    return;
  }
  if (phase_ != Phase::kDraining) {
    input_.append(read_buffer_.data(), num_bytes);
    if (phase_ == Phase::kIdle || phase_ == Phase::kHeader || phase_ == Phase::kBody) parse_input();
  }
  do_read();
}

void ServerConnection::on_read_end(error_code ec) {
  if (ec != asio::error::eof) {  // reset, or anything else: the connection is unusable
    close_now();
    return;
  }
  peer_eof_ = true;
  switch (phase_) {
    case Phase::kIdle: close_now(); break;
    case Phase::kHeader:
    case Phase::kBody:
      // Half-closed in the middle of a request: it can still read our answer.
      fail(400, "the client ended the connection in the middle of a request");
      break;
    case Phase::kHandling:
      // TCP cannot tell a half-close from a close, and a client that stops sending while it
      // waits is almost always gone (as nginx's 499 assumes). An answer already complete on
      // our side is still written out.
      if (response_complete_) {
        close_after_response_ = true;
      } else {
        close_now();
      }
      break;
    case Phase::kDraining:
      if (!writing_ && !response_complete_) close_now();  // else on_response_done closes
      break;
    case Phase::kClosed: break;
  }
}

void ServerConnection::parse_input() {
  while (phase_ == Phase::kIdle || phase_ == Phase::kHeader || phase_ == Phase::kBody) {
    if (phase_ == Phase::kIdle) {
      // Blank lines before a request line are to be ignored (RFC 9112 section 2.2).
      size_t start = input_.find_first_not_of("\r\n");
      input_.erase(0, start == std::string::npos ? input_.size() : start);
      if (input_.empty()) return;
      phase_ = Phase::kHeader;
      arm_read_timer(state_->options.header_timeout);
    }
    if (input_.empty()) return;
    boost::beast::error_code ec;
    size_t used = parser_->put(asio::buffer(input_), ec);
    input_.erase(0, used);
    if (ec == bhttp::error::need_more) return;
    if (ec == bhttp::error::header_limit) {
      fail(431, "the request headers exceed " + std::to_string(state_->options.max_header_bytes) +
                    " bytes");
      return;
    }
    if (ec == bhttp::error::body_limit) {
      fail(413,
           "the request body exceeds " + std::to_string(state_->options.max_body_bytes) + " bytes");
      return;
    }
    if (ec) {
      fail(400, "malformed HTTP request: " + ec.message());
      return;
    }
    if (phase_ == Phase::kHeader && parser_->is_header_done()) {
      phase_ = Phase::kBody;
      arm_read_timer(state_->options.body_timeout);
      if (!parser_->is_done()) maybe_send_continue();
    }
    if (parser_->is_done()) {
      dispatch();
      return;
    }
    if (used == 0) return;
  }
}

void ServerConnection::maybe_send_continue() {
  const auto& header = parser_->get();
  auto expect = header.find(bhttp::field::expect);
  if (expect == header.end() || header.version() < 11) return;
  if (ascii_lowercase(to_std(expect->value())) != "100-continue") return;
  // curl and others wait (about a second) for this before they send a large body.
  write_queue_.emplace_back("HTTP/1.1 100 Continue\r\n\r\n");
  start_write();
}

void ServerConnection::dispatch() {
  ++read_timer_generation_;
  read_timer_.cancel();
  bhttp::request<RequestBody> message = parser_->release();
  reset_parser();

  Request request;
  request.method = std::string(to_std(message.method_string()));
  request.target = std::string(to_std(message.target()));
  split_target(request.target, &request.path, &request.query);
  request.headers.reserve(static_cast<size_t>(std::distance(message.begin(), message.end())));
  for (const auto& field : message) {
    request.headers.emplace_back(ascii_lowercase(to_std(field.name_string())),
                                 std::string(to_std(field.value())));
  }
  request.body = std::move(message.body());
  request.remote = remote_;

  ExchangeParams params;
  {
    std::lock_guard lock(state_->mu);
    params.keep_alive = message.keep_alive() && !state_->stopping;
  }
  params.head_request = message.method() == bhttp::verb::head;
  params.http10 = message.version() < 11;
  params.max_unsent_bytes = state_->options.max_unsent_bytes;
  params.error_body = state_->error_body;

  phase_ = Phase::kHandling;
  exchange_ = std::make_shared<Exchange>(shared_from_this(), std::move(params));
  state_->routes.dispatch(std::move(request), Responder(exchange_), *state_->error_body);
}

void ServerConnection::fail(int status, std::string message) {
  ++read_timer_generation_;
  read_timer_.cancel();
  phase_ = Phase::kDraining;
  Response response = (*state_->error_body)(status, message);
  std::string bytes = serialize_head(response.status, response.content_type, response.headers,
                                     Framing::kContentLength, response.body.size(),
                                     /*keep_alive=*/false);
  bytes += response.body;
  write_queue_.push_back(std::move(bytes));
  response_complete_ = true;
  start_write();
}

void ServerConnection::on_flush(const std::shared_ptr<Exchange>& exchange) {
  if (phase_ == Phase::kClosed || exchange != exchange_) return;
  Exchange::Output output = exchange->take_output();
  if (!output.bytes.empty()) write_queue_.push_back(std::move(output.bytes));
  if (output.complete) {
    response_complete_ = true;
    if (!exchange->keep_alive()) close_after_response_ = true;
  }
  start_write();
}

void ServerConnection::start_write() {
  if (writing_ || phase_ == Phase::kClosed) return;
  if (write_queue_.empty()) {
    if (response_complete_) on_response_done();
    return;
  }
  in_flight_.swap(write_queue_);
  std::vector<asio::const_buffer> buffers;
  buffers.reserve(in_flight_.size());
  for (const std::string& bytes : in_flight_) buffers.emplace_back(asio::buffer(bytes));
  writing_ = true;

  uint64_t generation = ++write_timer_generation_;
  write_timer_.expires_after(state_->options.write_timeout);
  write_timer_.async_wait([self = shared_from_this(), generation](error_code ec) {
    if (ec || generation != self->write_timer_generation_ || !self->writing_) return;
    self->close_now();  // the client stopped reading
  });
  asio::async_write(socket_, buffers, [self = shared_from_this()](error_code ec, size_t n) {
    self->on_write(ec, n);
  });
}

void ServerConnection::on_write(error_code ec, size_t num_bytes) {
  writing_ = false;
  ++write_timer_generation_;
  write_timer_.cancel();
  in_flight_.clear();
  if (phase_ == Phase::kClosed) return;
  if (ec) {
    close_now();
    return;
  }
  if (exchange_) exchange_->on_sent(num_bytes);
  start_write();
}

void ServerConnection::on_response_done() {
  response_complete_ = false;
  if (exchange_) {
    exchange_->detach();
    exchange_.reset();
  }
  bool stopping;
  {
    std::lock_guard lock(state_->mu);
    stopping = state_->stopping;
  }
  if (phase_ == Phase::kDraining || close_after_response_ || peer_eof_ || stopping) {
    begin_linger();
    return;
  }
  phase_ = Phase::kIdle;
  arm_read_timer(state_->options.idle_timeout);
  parse_input();  // pipelined requests already received
  do_read();
}

void ServerConnection::begin_linger() {
  phase_ = Phase::kDraining;
  input_.clear();
  error_code ignored;
  socket_.shutdown(asio::ip::tcp::socket::shutdown_send, ignored);
  if (peer_eof_) {
    close_now();
    return;
  }
  arm_read_timer(state_->options.linger_timeout);
  do_read();  // until the client's EOF, or the linger deadline
}

void ServerConnection::close_now() {
  if (phase_ == Phase::kClosed) return;
  phase_ = Phase::kClosed;
  ++read_timer_generation_;
  ++write_timer_generation_;
  read_timer_.cancel();
  write_timer_.cancel();
  error_code ignored;
  socket_.shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
  socket_.close(ignored);
  write_queue_.clear();
  input_.clear();
  {
    std::lock_guard lock(state_->mu);
    state_->connections.erase(this);
    if (!rejected_) --state_->num_accepted;
  }
  if (exchange_) {
    std::shared_ptr<Exchange> exchange = std::move(exchange_);
    exchange->connection_lost();  // runs the handler's on_disconnect, if any, here and last
  }
}

void ServerConnection::arm_read_timer(std::chrono::milliseconds timeout) {
  uint64_t generation = ++read_timer_generation_;
  read_timer_.expires_after(timeout);
  read_timer_.async_wait([self = shared_from_this(), generation](error_code ec) {
    if (ec || generation != self->read_timer_generation_) return;
    self->on_read_timeout();
  });
}

void ServerConnection::on_read_timeout() {
  switch (phase_) {
    case Phase::kIdle:
    case Phase::kDraining: close_now(); break;
    case Phase::kHeader: fail(408, "timed out waiting for the request headers"); break;
    case Phase::kBody: fail(408, "timed out waiting for the request body"); break;
    case Phase::kHandling:
    case Phase::kClosed: break;
  }
}

}  // namespace turbine::http::detail
