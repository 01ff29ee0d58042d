#include "http/server.h"

#include <utility>  // before Asio: Boost 1.74's awaitable.hpp uses std::exchange unincluded

#include <cstdio>
#include <exception>
#include <optional>
#include <thread>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>

#include "http/server_connection.h"

namespace turbine::http {

namespace asio = boost::asio;
using asio::ip::tcp;
using boost::system::error_code;

struct Server::Impl {
  explicit Impl(ServerOptions options);

  void do_accept();
  void on_accept(tcp::socket socket);
  void run_io();

  asio::io_context io;
  // The acceptor and its retry timer live on one strand, so stop() can close it by posting.
  asio::strand<asio::io_context::executor_type> accept_strand;
  tcp::acceptor acceptor;
  asio::steady_timer accept_retry_timer;
  std::shared_ptr<detail::ServerState> state;
  std::vector<std::thread> threads;
  uint16_t port = 0;
  bool started = false;
  bool stopped = false;
};

Server::Impl::Impl(ServerOptions options)
    : accept_strand(asio::make_strand(io)),
      acceptor(accept_strand),
      accept_retry_timer(accept_strand),
      state(std::make_shared<detail::ServerState>()) {
  // Every error answer goes through the formatter, which must keep the status it is asked for.
  ErrorFormatter user = options.error_body;
  state->error_body = std::make_shared<const ErrorFormatter>(
      [user = std::move(user)](int status, std::string_view message) {
        Response response = user ? user(status, message) : default_error_response(status, message);
        response.status = status;
        return response;
      });
  if (options.num_threads < 1) options.num_threads = 1;
  state->options = std::move(options);
}

void Server::Impl::do_accept() {
  acceptor.async_accept(asio::make_strand(io), [this](error_code ec, tcp::socket socket) {
    if (!acceptor.is_open() || ec == asio::error::operation_aborted) return;
    if (ec) {
      // Out of file descriptors or the like: try again shortly instead of spinning.
      accept_retry_timer.expires_after(std::chrono::milliseconds(50));
      accept_retry_timer.async_wait([this](error_code wait_ec) {
        if (!wait_ec && acceptor.is_open()) do_accept();
      });
      return;
    }
    on_accept(std::move(socket));
    do_accept();
  });
}

void Server::Impl::on_accept(tcp::socket socket) {
  error_code ignored;
  socket.set_option(tcp::no_delay(true), ignored);  // streamed tokens must not wait for Nagle
  std::shared_ptr<detail::ServerConnection> connection;
  {
    std::lock_guard lock(state->mu);
    if (state->stopping) return;  // the socket closes as it goes out of scope
    bool rejected = state->num_accepted >= state->options.max_connections;
    if (!rejected) ++state->num_accepted;
    connection = std::make_shared<detail::ServerConnection>(std::move(socket), state, rejected);
    state->connections.emplace(connection.get(), connection);
  }
  connection->start();
}

void Server::Impl::run_io() {
  // A handler that throws unwinds out of run(); the io_context may be run again after that.
  while (true) {
    try {
      io.run();
      return;
    } catch (const std::exception& e) {
      std::fprintf(stderr, "turbine: http io thread: uncaught exception: %s\n", e.what());
    } catch (...) {
      std::fprintf(stderr, "turbine: http io thread: uncaught exception\n");
    }
  }
}

Server::Server(ServerOptions options) : impl_(std::make_unique<Impl>(std::move(options))) {}

Server::~Server() { stop(); }

void Server::route(std::string method, std::string path, Handler handler) {
  TB_CHECK(!impl_->started, "Server::route after start");
  impl_->state->routes.add(std::move(method), std::move(path), std::move(handler));
}

Status Server::start(const std::string& host, uint16_t port) {
  if (impl_->started || impl_->stopped) return invalid_argument("http server: started already");
  std::string where = host + ":" + std::to_string(port);
  error_code ec;
  tcp::resolver resolver(impl_->io);
  auto endpoints = resolver.resolve(host, std::to_string(port), tcp::resolver::passive, ec);
  if (ec) return io_error("http server: cannot resolve " + where + ": " + ec.message());
  for (const auto& entry : endpoints) {
    error_code ignored;
    impl_->acceptor.close(ignored);
    ec.clear();
    impl_->acceptor.open(entry.endpoint().protocol(), ec);
    if (!ec) impl_->acceptor.set_option(tcp::acceptor::reuse_address(true), ec);
    if (!ec) impl_->acceptor.bind(entry.endpoint(), ec);
    if (!ec) impl_->acceptor.listen(asio::socket_base::max_listen_connections, ec);
    if (!ec) break;
  }
  if (ec || !impl_->acceptor.is_open()) {
    error_code ignored;
    impl_->acceptor.close(ignored);
    return io_error("http server: cannot listen on " + where + ": " +
                    (ec ? ec.message() : std::string("no address")));
  }
  impl_->port = impl_->acceptor.local_endpoint(ec).port();
  impl_->started = true;
  impl_->do_accept();
  for (int i = 0; i < impl_->state->options.num_threads; ++i) {
    impl_->threads.emplace_back([impl = impl_.get()] { impl->run_io(); });
  }
  return Status::ok();
}

uint16_t Server::port() const { return impl_->port; }

void Server::stop() {
  if (impl_->stopped) return;
  impl_->stopped = true;
  if (!impl_->started) return;
  std::vector<std::weak_ptr<detail::ServerConnection>> connections;
  {
    std::lock_guard lock(impl_->state->mu);
    impl_->state->stopping = true;
    for (const auto& [key, connection] : impl_->state->connections)
      connections.push_back(connection);
  }
  asio::post(impl_->accept_strand, [impl = impl_.get()] {
    error_code ignored;
    impl->acceptor.close(ignored);
    impl->accept_retry_timer.cancel();
  });
  for (const auto& weak : connections) {
    if (auto connection = weak.lock()) connection->close();
  }
  // The io threads return once the closes have run and nothing is left in flight.
  for (std::thread& thread : impl_->threads) thread.join();
  impl_->threads.clear();
}

size_t Server::num_connections() const {
  std::lock_guard lock(impl_->state->mu);
  return impl_->state->connections.size();
}

}  // namespace turbine::http
