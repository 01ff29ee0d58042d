// A small blocking HTTP/1.1 client: one request per connection, plain http:// only. For tests,
// `turbine bench`, and the cluster's worker protocol. Any thread; each call runs its own
// event loop on the calling thread and blocks it until the exchange ends.
#pragma once

#include <chrono>
#include <optional>
#include <functional>
#include <string>
#include <string_view>

#include "base/status.h"
#include "http/message.h"
#include "http/url.h"

namespace turbine::http {

struct ClientRequest {
  std::string method = "GET";
  std::string url = {};
  Headers headers = {};  // host, content-length and user-agent are added when absent
  std::string body = {};
  // The longest wait for any one step: resolving and connecting, sending, and each read of
  // the answer. An inactivity limit, so a long stream that keeps moving never hits it.
  std::chrono::milliseconds timeout{30'000};
};

struct ClientResponse {
  int status = 0;
  Headers headers;   // names lowercased
  std::string body;  // chunked encoding removed; empty for fetch_stream

  std::optional<std::string_view> header(std::string_view name) const {
    return find_header(headers, name);
  }
};

// Sends `request` and reads the whole answer. A status >= 400 is a normal result; errors are
// transport failures (cannot connect, timeout, connection broken, malformed answer).
Result<ClientResponse> fetch(const ClientRequest& request);

// Called with the body as it arrives, chunked encoding already removed; any split is possible.
// Returns false to stop: the connection is closed at once (the server sees the client leave).
using BodyChunkCallback = std::function<bool(std::string_view chunk)>;

// As fetch(), but hands the body to `on_body_chunk` piece by piece instead of keeping it.
// Stopping early through the callback is not an error.
Result<ClientResponse> fetch_stream(const ClientRequest& request,
                                    const BodyChunkCallback& on_body_chunk);

}  // namespace turbine::http
