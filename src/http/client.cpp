#include "http/client.h"

#include <utility>  // before Asio: Boost 1.74's awaitable.hpp uses std::exchange unincluded

#include <array>
#include <exception>
#include <optional>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
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

#include "http/client_wire.h"

namespace turbine::http {

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using asio::ip::tcp;
using boost::system::error_code;

using detail::client_transport_error;

// One request on a new connection. `on_chunk` null: the body is kept in `response`.
asio::awaitable<Status> run_fetch(const Url& url, const ClientRequest& request,
                                  const BodyChunkCallback* on_chunk, ClientResponse* response) {
  auto executor = co_await asio::this_coro::executor;
  error_code ec;

  // The resolver has no deadline of its own: a timer cancels it.
  tcp::resolver resolver(executor);
  asio::steady_timer resolve_deadline(executor, request.timeout);
  resolve_deadline.async_wait([&resolver](error_code wait_ec) {
    if (!wait_ec) resolver.cancel();
  });
  auto endpoints = co_await resolver.async_resolve(url.host, std::to_string(url.port),
                                                   asio::redirect_error(asio::use_awaitable, ec));
  resolve_deadline.cancel();
  if (ec) co_return client_transport_error("cannot resolve", url, ec);

  beast::tcp_stream stream(executor);
  stream.expires_after(request.timeout);
  co_await stream.async_connect(endpoints, asio::redirect_error(asio::use_awaitable, ec));
  if (ec) co_return client_transport_error("cannot connect to", url, ec);
  error_code ignored;
  stream.socket().set_option(tcp::no_delay(true), ignored);

  bhttp::request<bhttp::string_body> message = detail::build_client_request(url, request);
  stream.expires_after(request.timeout);
  co_await bhttp::async_write(stream, message, asio::redirect_error(asio::use_awaitable, ec));
  if (ec) co_return client_transport_error("sending to", url, ec);

  beast::flat_buffer buffer;
  bhttp::response_parser<bhttp::buffer_body> parser;
  detail::configure_response_parser(parser, message.method() == bhttp::verb::head);
  stream.expires_after(request.timeout);
  co_await bhttp::async_read_header(stream, buffer, parser,
                                    asio::redirect_error(asio::use_awaitable, ec));
  if (ec) co_return client_transport_error("reading the answer header from", url, ec);
  response->status = static_cast<int>(parser.get().result_int());
  response->headers = detail::response_headers(parser.get().base());

  std::array<char, 16 * 1024> chunk;
  while (!parser.is_done()) {
    auto& body = parser.get().body();
    body.data = chunk.data();
    body.size = chunk.size();
    stream.expires_after(request.timeout);
    co_await bhttp::async_read_some(stream, buffer, parser,
                                    asio::redirect_error(asio::use_awaitable, ec));
    if (ec == bhttp::error::need_buffer) ec = {};  // our chunk buffer is full: hand it on
    if (ec) co_return client_transport_error("reading the answer body from", url, ec);
    size_t num_bytes = chunk.size() - parser.get().body().size;
    if (num_bytes == 0) continue;
    std::string_view piece(chunk.data(), num_bytes);
    if (on_chunk == nullptr) {
      response->body.append(piece);
    } else if (!(*on_chunk)(piece)) {
      break;  // the caller has seen enough: closing tells the server it left
    }
  }
  stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
  stream.close();
  co_return Status::ok();
}

Result<ClientResponse> run(const ClientRequest& request, const BodyChunkCallback* on_chunk) {
  TB_ASSIGN_OR_RETURN(Url url, parse_url(request.url));
  ClientResponse response;
  Status status;
  std::exception_ptr failure;  // the body callback threw: rethrown on the caller's thread
  asio::io_context io;
  asio::co_spawn(io, run_fetch(url, request, on_chunk, &response),
                 [&](std::exception_ptr e, Status result) {
                   failure = e;
                   status = std::move(result);
                 });
  io.run();
  if (failure) std::rethrow_exception(failure);
  if (!status.is_ok()) return status;
  return response;
}

}  // namespace

Result<ClientResponse> fetch(const ClientRequest& request) { return run(request, nullptr); }

Result<ClientResponse> fetch_stream(const ClientRequest& request,
                                    const BodyChunkCallback& on_body_chunk) {
  return run(request, &on_body_chunk);
}

}  // namespace turbine::http
