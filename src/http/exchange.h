// Internal to http/: one request's response on its way out, shared by the Responder and
// ResponseStream (any thread) and the connection (its strand). The mutex here is what makes the
// public side thread-safe; the connection drains the bytes on its own strand. No Asio here.
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "http/message.h"

namespace turbine::http::detail {

class Exchange;

// What an exchange needs from its connection. Both calls only post work to the connection's
// strand and return; they are made with the exchange's mutex held, which orders them.
class ExchangeSink {
 public:
  virtual ~ExchangeSink() = default;
  // take_output() has bytes to send.
  virtual void post_flush(std::shared_ptr<Exchange> exchange) = 0;
  // The client stopped reading; close the connection.
  virtual void post_abort() = 0;
};

struct ExchangeParams {
  bool keep_alive = true;     // the connection may carry another request after this one
  bool head_request = false;  // HEAD: headers only, never a body
  bool http10 = false;        // HTTP/1.0 client: no chunked encoding
  size_t max_unsent_bytes = 0;
  std::shared_ptr<const ErrorFormatter> error_body;
};

class Exchange : public std::enable_shared_from_this<Exchange> {
 public:
  Exchange(std::shared_ptr<ExchangeSink> sink, ExchangeParams params);

  // --- The answering side; any thread. Each returns false when nothing was queued.
  bool respond(Response response);
  bool start_stream(int status, std::string_view content_type, const Headers& headers);
  bool write(std::string_view chunk);
  void finish();
  bool stream_closed() const;  // lost, aborted or finished
  bool lost() const;
  bool answered() const;  // respond() or start_stream() happened
  void set_on_disconnect(std::function<void()> fn);
  // A 500 through the error formatter, if nothing was answered yet.
  void respond_internal_error(std::string_view message);

  // --- The connection side; its strand only.
  struct Output {
    std::string bytes;
    bool complete = false;  // bytes end the response
  };
  Output take_output();
  void on_sent(size_t num_bytes);
  // The connection is gone: the sink is dropped, later answers are no-ops, and the
  // on_disconnect callback runs (here, on the caller's thread) if the response was not
  // complete.
  void connection_lost();
  // The response has been written in full: drop the sink so nothing refers to the connection.
  void detach();
  // Whether the connection may carry another request after this response.
  bool keep_alive() const;

 private:
  enum class State { kWaiting, kStreaming, kComplete };

  void queue_locked(std::string bytes, bool complete);  // needs mu_

  const ExchangeParams params_;
  mutable std::mutex mu_;
  std::shared_ptr<ExchangeSink> sink_;  // null once lost or detached
  State state_ = State::kWaiting;
  bool lost_ = false;
  bool aborted_ = false;          // too many unsent bytes
  bool flush_posted_ = false;     // a post_flush is on its way: the next one is not needed
  bool output_complete_ = false;  // outbox_ ends the response
  bool until_close_ = false;      // an HTTP/1.0 stream: its end is the connection's close
  std::string outbox_;            // bytes not yet taken by the connection
  size_t num_unsent_bytes_ = 0;   // queued by us and not yet written to the socket
  std::function<void()> on_disconnect_;
};

}  // namespace turbine::http::detail
