// The HTTP/1.1 server the frontend and workers listen with: exact-path routing, keep-alive and
// pipelining, limits and timeouts against slow or hostile clients, asynchronous answers
// (Responder) and disconnect notice. Asio runs behind this header, on the server's own io
// threads. route() before start(); start(), stop() and port() from one owning thread, never
// from a handler.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "base/status.h"
#include "http/message.h"
#include "http/responder.h"

namespace turbine::http {

struct ServerOptions {
  int num_threads = 1;  // io threads; handlers run on them, so they must not block

  size_t max_header_bytes = 16 * 1024;       // request line + headers; beyond: 431
  size_t max_body_bytes = 32 * 1024 * 1024;  // after chunked decoding; beyond: 413
  int max_connections = 1000;                // open at once; beyond: 503 and close

  // A request must arrive whole within these, counted from its first byte (headers) and from
  // the end of its headers (body); otherwise 408 and close. Absolute, not per read, so a
  // client dribbling one byte at a time does not hold a connection forever.
  std::chrono::milliseconds header_timeout{10'000};
  std::chrono::milliseconds body_timeout{60'000};
  // A kept-alive connection with no request in progress is closed after this.
  std::chrono::milliseconds idle_timeout{60'000};
  // A client that accepts no bytes for this long while we are sending is dropped.
  std::chrono::milliseconds write_timeout{60'000};
  // After an error response we stop sending and wait this long for the client to close,
  // reading and dropping what it still sends, so it gets to read the error (closing with
  // unread input would reset the connection and could destroy the response in flight).
  std::chrono::milliseconds linger_timeout{2'000};

  // Response bytes a connection may hold unsent (a streaming client that stopped reading);
  // beyond, the connection is closed as if the client had left.
  size_t max_unsent_bytes = 16 * 1024 * 1024;

  // Bodies of the errors the server makes itself (400, 404, 405, 408, 413, 431, 500, 503).
  // Default: default_error_response.
  ErrorFormatter error_body = {};
};

// Called on an io thread with the whole request. It must not block: it hands the Responder to
// whoever will answer (possibly another thread, later), or answers at once.
using Handler = std::function<void(Request request, Responder responder)>;

class Server {
 public:
  explicit Server(ServerOptions options = {});
  ~Server();  // stop()
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Routes `method` requests for exactly `path` (no query, no prefix match) to `handler`;
  // a later route for the same pair replaces the earlier one. A path with no route gets 404,
  // a known path with another method 405 with an allow header. Before start() only.
  void route(std::string method, std::string path, Handler handler);

  // Binds host:port (port 0: an ephemeral port, see port()) and starts the io threads.
  // A server starts once.
  Status start(const std::string& host, uint16_t port);
  uint16_t port() const;

  // Closes the listener and every connection (handlers' on_disconnect callbacks run for
  // requests still unanswered), then joins the io threads. Responders that outlive the server
  // are harmless: their answers are dropped. Idempotent.
  void stop();

  // Connections open now, rejected ones included.
  size_t num_connections() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace turbine::http
