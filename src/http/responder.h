// How a handler answers: a Responder for one request, either with one whole Response or with a
// ResponseStream (chunked transfer encoding, e.g. server-sent events). Both may be used from
// any thread at any later time, so the engine thread can answer while the io thread moves on;
// nothing here blocks on the network.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "http/message.h"

namespace turbine::http {

namespace detail {
class Exchange;
}

// A response being streamed to the client, in the order write() is called. Thread-safe.
class ResponseStream {
 public:
  explicit ResponseStream(std::shared_ptr<detail::Exchange> exchange);
  ~ResponseStream();  // finishes the stream if finish() was not called
  ResponseStream(const ResponseStream&) = delete;
  ResponseStream& operator=(const ResponseStream&) = delete;

  // Queues `chunk` for sending and returns at once (an empty chunk sends nothing). Returns
  // false, dropping the chunk, once the client is gone, the stream is finished, or the
  // client has let more than ServerOptions::max_unsent_bytes pile up (the connection is then
  // closed as if the client had left).
  bool write(std::string chunk);
  // Ends the response. Idempotent.
  void finish();
  // True once the client is gone or finish() was called: writes would be dropped.
  bool closed() const;

 private:
  std::shared_ptr<detail::Exchange> exchange_;
};

// The right to answer one request. Movable, not copyable. Destroying a Responder that has
// neither responded nor started a stream answers 500, so a client is never left waiting.
class Responder {
 public:
  Responder() = default;  // answers nothing; for containers
  explicit Responder(std::shared_ptr<detail::Exchange> exchange);
  ~Responder();
  Responder(Responder&&) noexcept = default;
  Responder& operator=(Responder&& other) noexcept;
  Responder(const Responder&) = delete;
  Responder& operator=(const Responder&) = delete;

  // Sends `response`. At most one of respond() and start_stream() per Responder; a second
  // call is ignored. A no-op when the client is already gone.
  void respond(Response response);

  // Sends the status line and headers now, with chunked transfer encoding (on HTTP/1.0,
  // a body that ends when the connection closes) and returns the stream for the body.
  // Called after respond(), it returns a stream that is already closed.
  std::shared_ptr<ResponseStream> start_stream(int status, std::string_view content_type,
                                               Headers headers = {});

  // Calls `fn` once if the connection is lost (client closed or reset it, a timeout, the
  // server stopped) before the response was complete (respond() or finish() called). It runs
  // on an io thread and must not block: cancel the work and return. If the connection is
  // already lost, `fn` runs at once on the calling thread. Replaces an earlier callback.
  void on_disconnect(std::function<void()> fn);

  // True once the connection is lost: no point starting work for this request.
  bool client_gone() const;

  explicit operator bool() const { return exchange_ != nullptr; }

 private:
  std::shared_ptr<detail::Exchange> exchange_;
};

}  // namespace turbine::http
