#include "http/async_client.h"

#include <utility>  // before Asio: Boost 1.74's awaitable.hpp uses std::exchange unincluded

#include <array>
#include <cstdint>
#include <exception>
#include <list>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/buffer_body.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>


// g++ 12 pairs Asio's recycling operator new for coroutine frames with the wrong delete and
// warns; a known false positive (the frame is allocated and freed by Asio's own pair).
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"

namespace turbine::http {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using asio::ip::tcp;
using boost::system::error_code;

namespace {

// Answers with longer headers are refused as malformed.
constexpr uint32_t kMaxResponseHeaderBytes = 64 * 1024;

std::string_view to_std(beast::string_view s) { return {s.data(), s.size()}; }

// An error naming what failed, the host, and why. Its code says what kind of failure it was:
// kDeadlineExceeded for a timeout, kUnavailable when the peer could not be reached at all,
// kIoError for a connection that broke or an answer that made no sense.
Status transport_error(std::string_view what, const Url& url, const error_code& ec,
                       bool reaching = false) {
  const bool timed_out = ec == beast::error::timeout;
  std::string message = "http " + std::string(what) + " " + url.authority() + ": " +
                        (timed_out ? std::string("timed out") : ec.message());
  if (timed_out) return deadline_exceeded(std::move(message));
  return reaching ? unavailable(std::move(message)) : io_error(std::move(message));
}

// The request as sent: host and user-agent added when absent, content-length set.
bhttp::request<bhttp::string_body> build_request(const Url& url, const ClientRequest& request) {
  bhttp::request<bhttp::string_body> message;
  message.version(11);
  message.method_string(request.method);
  message.target(url.target);
  for (const auto& [name, value] : request.headers) message.insert(name, value);
  if (message.find(bhttp::field::host) == message.end())
    message.set(bhttp::field::host, url.authority());
  if (message.find(bhttp::field::user_agent) == message.end()) {
    message.set(bhttp::field::user_agent, "turbine");
  }
  message.body() = request.body;
  message.prepare_payload();  // content-length (or none for a bodiless GET)
  return message;
}

// The answer's headers, names lowercased.
Headers response_headers(const bhttp::fields& fields) {
  Headers headers;
  for (const auto& field : fields) {
    headers.emplace_back(ascii_lowercase(to_std(field.name_string())), std::string(to_std(field.value())));
  }
  return headers;
}

// One TCP connection; between requests it waits in the idle pool of its host:port.
struct Connection {
  explicit Connection(asio::io_context& io) : stream(io) {}
  beast::tcp_stream stream;
  beast::flat_buffer buffer;  // bytes read past the last answer (none on a sane server)
};

// A kept-alive connection the server closed while it sat idle fails like this on reuse,
// before any byte of the answer: the request is worth sending once more on a new one.
bool is_stale_connection_error(const error_code& ec) {
  return ec == bhttp::error::end_of_stream || ec == asio::error::eof ||
         ec == asio::error::connection_reset || ec == asio::error::broken_pipe ||
         ec == asio::error::connection_aborted;
}

}  // namespace

struct AsyncClient::Impl {
  explicit Impl(Options o) : options(o) {
    if (options.run_until_stopped) work.emplace(io.get_executor());
  }

  Options options;
  asio::io_context io{1};  // declared first, destroyed last: sockets and timers belong to it
  std::unordered_map<std::string, tcp::resolver::results_type> resolved;  // by host:port
  std::unordered_map<std::string, std::vector<std::unique_ptr<Connection>>> idle;
  size_t num_in_flight = 0;
  AsyncClientStats stats;
  std::list<std::shared_ptr<asio::steady_timer>> timers;  // post_at's, until they fire
  // Options::run_until_stopped: keeps run() from returning when nothing is in flight.
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work;

  ~Impl() {
    io.stop();
    idle.clear();  // before the io_context goes
  }

  asio::awaitable<void> exchange(ClientRequest request, AsyncHandlers handlers);
  asio::awaitable<Status> send_once(const Url& url, const ClientRequest& request,
                                    const AsyncHandlers& handlers, bool may_reuse,
                                    bool* retry);
  asio::awaitable<Result<std::unique_ptr<Connection>>> connect(const Url& url,
                                                               const ClientRequest& request);
};

asio::awaitable<Result<std::unique_ptr<Connection>>> AsyncClient::Impl::connect(
    const Url& url, const ClientRequest& request) {
  error_code ec;
  const std::string authority = url.authority();
  auto it = resolved.find(authority);
  if (it == resolved.end()) {
    // The resolver has no deadline of its own: a timer cancels it. Shared, because the
    // timer's handler may already be queued when the resolve completes and this frame moves on.
    auto resolver = std::make_shared<tcp::resolver>(io);
    asio::steady_timer deadline(io, request.timeout);
    deadline.async_wait([resolver](error_code wait_ec) {
      if (!wait_ec) resolver->cancel();
    });
    auto endpoints = co_await resolver->async_resolve(
        url.host, std::to_string(url.port), asio::redirect_error(asio::use_awaitable, ec));
    deadline.cancel();
    if (ec) co_return transport_error("cannot resolve", url, ec, /*reaching=*/true);
    it = resolved.emplace(authority, std::move(endpoints)).first;
  }
  auto connection = std::make_unique<Connection>(io);
  connection->stream.expires_after(request.timeout);
  co_await connection->stream.async_connect(it->second,
                                            asio::redirect_error(asio::use_awaitable, ec));
  if (ec) co_return transport_error("cannot connect to", url, ec, /*reaching=*/true);
  error_code ignored;
  connection->stream.socket().set_option(tcp::no_delay(true), ignored);
  ++stats.connections_opened;
  co_return connection;
}

// One attempt. Sets *retry (and returns) when a reused connection proved stale before any
// answer arrived, so the caller can try once more on a new connection.
asio::awaitable<Status> AsyncClient::Impl::send_once(const Url& url, const ClientRequest& request,
                                                     const AsyncHandlers& handlers,
                                                     bool may_reuse, bool* retry) {
  const std::string authority = url.authority();
  std::unique_ptr<Connection> connection;
  bool reused = false;
  if (auto pool = idle.find(authority); may_reuse && pool != idle.end() && !pool->second.empty()) {
    connection = std::move(pool->second.back());  // the most recently used: likeliest alive
    pool->second.pop_back();
    reused = true;
    ++stats.connections_reused;
  } else {
    auto made = co_await connect(url, request);
    if (!made) co_return made.status();
    connection = std::move(*made);
  }
  beast::tcp_stream& stream = connection->stream;
  error_code ec;

  auto message = build_request(url, request);
  stream.expires_after(request.timeout);
  co_await bhttp::async_write(stream, message, asio::redirect_error(asio::use_awaitable, ec));
  if (ec && reused && is_stale_connection_error(ec)) {
    *retry = true;
    co_return Status::ok();
  }
  if (ec) co_return transport_error("sending to", url, ec);

  bhttp::response_parser<bhttp::buffer_body> parser;
  parser.header_limit(kMaxResponseHeaderBytes);
  // Not boost::none: Beast 1.74 compares a content-length against an empty limit as too large.
  parser.body_limit(UINT64_MAX);
  if (message.method() == bhttp::verb::head) parser.skip(true);
  stream.expires_after(request.timeout);
  co_await bhttp::async_read_header(stream, connection->buffer, parser,
                                    asio::redirect_error(asio::use_awaitable, ec));
  if (ec && reused && is_stale_connection_error(ec) && parser.got_some() == false) {
    *retry = true;
    co_return Status::ok();
  }
  if (ec) co_return transport_error("reading the answer header from", url, ec);
  if (handlers.on_head) {
    handlers.on_head(static_cast<int>(parser.get().result_int()),
                     response_headers(parser.get().base()));
  }

  std::array<char, 16 * 1024> chunk;
  while (!parser.is_done()) {
    auto& body = parser.get().body();
    body.data = chunk.data();
    body.size = chunk.size();
    stream.expires_after(request.timeout);
    co_await bhttp::async_read_some(stream, connection->buffer, parser,
                                    asio::redirect_error(asio::use_awaitable, ec));
    if (ec == bhttp::error::need_buffer) ec = {};  // our chunk buffer is full: hand it on
    if (ec) co_return transport_error("reading the answer body from", url, ec);
    size_t num_bytes = chunk.size() - parser.get().body().size;
    if (num_bytes == 0) continue;
    if (handlers.on_body && !handlers.on_body(std::string_view(chunk.data(), num_bytes))) {
      error_code ignored;  // abandoned: closing tells the server the client left
      stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
      stream.close();
      co_return Status::ok();
    }
  }
  if (parser.get().keep_alive()) {
    auto& pool = idle[authority];
    if (pool.size() < options.max_idle_per_host) {
      stream.expires_never();
      pool.push_back(std::move(connection));
    }
  }
  co_return Status::ok();
}

asio::awaitable<void> AsyncClient::Impl::exchange(ClientRequest request, AsyncHandlers handlers) {
  Status status;
  if (auto url = parse_url(request.url); !url) {
    status = url.status();
  } else {
    bool retry = false;
    status = co_await send_once(*url, request, handlers, /*may_reuse=*/true, &retry);
    if (retry) {
      ++stats.retries;
      retry = false;
      status = co_await send_once(*url, request, handlers, /*may_reuse=*/false, &retry);
    }
  }
  --num_in_flight;
  if (handlers.on_done) handlers.on_done(std::move(status));
}

AsyncClient::AsyncClient() : AsyncClient(Options{}) {}
AsyncClient::AsyncClient(Options options) : impl_(std::make_unique<Impl>(options)) {}
AsyncClient::~AsyncClient() = default;

void AsyncClient::start(ClientRequest request, AsyncHandlers handlers) {
  ++impl_->num_in_flight;
  // A callback that throws ends run() with its exception, rather than being swallowed.
  asio::co_spawn(impl_->io, impl_->exchange(std::move(request), std::move(handlers)),
                 [](std::exception_ptr e) {
                   if (e) std::rethrow_exception(e);
                 });
}

void AsyncClient::post(std::function<void()> fn) { asio::post(impl_->io, std::move(fn)); }

void AsyncClient::post_at(std::chrono::steady_clock::time_point when, std::function<void()> fn) {
  auto timer = std::make_shared<asio::steady_timer>(impl_->io, when);
  auto& timers = impl_->timers;
  auto it = timers.insert(timers.end(), timer);
  timer->async_wait([this, it, timer, fn = std::move(fn)](error_code ec) {
    impl_->timers.erase(it);
    if (!ec) fn();
  });
}

void AsyncClient::cancel_timers() {
  for (auto& timer : impl_->timers) timer->cancel();
}

void AsyncClient::run() {
  impl_->io.restart();
  impl_->io.run();
}

void AsyncClient::stop() { impl_->io.stop(); }

size_t AsyncClient::num_in_flight() const { return impl_->num_in_flight; }

AsyncClientStats AsyncClient::stats() const { return impl_->stats; }

}  // namespace turbine::http
