// The HTTP messages a handler sees and produces, and their wire form for responses. No Asio
// here, so the frontend and api code can use these types without compiling Boost.
// Value types; any thread.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace turbine::http {

using Headers = std::vector<std::pair<std::string, std::string>>;

// `s` with A-Z lowered (header names, tokens); other bytes as they are.
std::string ascii_lowercase(std::string_view s);

// The value of the first header named `name` (ASCII case-insensitive), or nullopt.
std::optional<std::string_view> find_header(const Headers& headers, std::string_view name);

struct Request {
  std::string method;  // as sent, e.g. "POST" (methods are case-sensitive)
  std::string target;  // the request-target as sent: path plus "?query"
  std::string path;    // target up to '?', not percent-decoded; routing matches it exactly
  std::string query;   // after '?', raw; empty when there is none
  Headers headers;     // names lowercased, values as sent, in arrival order
  std::string body;    // chunked bodies arrive already decoded
  std::string remote;  // peer "ip:port", for logs

  std::optional<std::string_view> header(std::string_view name) const {
    return find_header(headers, name);
  }
};

struct Response {
  int status = 200;
  std::string content_type = "application/json";  // empty: no content-type header
  std::string body = {};
  // Extra headers. The server writes content-type (from the field above) and the framing
  // headers (content-length, transfer-encoding, connection) itself and drops copies of them
  // here, as it drops any header with CR, LF or NUL in it.
  Headers headers = {};
};

// Builds the body of an error the server produces itself (404, 405, 408, 413, 431, 500...).
// The frontend installs one that makes OpenAI error objects.
using ErrorFormatter = std::function<Response(int status, std::string_view message)>;

// {"error":{"message":"...","code":<status>}} as application/json.
Response default_error_response(int status, std::string_view message);

// "Not Found" for 404; a generic phrase of the status class for codes it does not know.
std::string_view reason_phrase(int status);

// `s` as a JSON string literal, quotes included.
std::string json_quote(std::string_view s);

namespace detail {

// How the body of a response is framed on the wire.
enum class Framing {
  kContentLength,  // content_length bytes follow
  kChunked,        // HTTP/1.1 chunked transfer encoding
  kUntilClose,     // HTTP/1.0 streaming: the body ends when the connection closes
};

// Whether a response with this status carries a body at all (1xx, 204 and 304 do not).
bool status_has_body(int status);

// The status line and headers of a response, ending in the blank line.
std::string serialize_head(int status, std::string_view content_type, const Headers& headers,
                           Framing framing, size_t content_length, bool keep_alive);

// One chunk of a chunked body: hex size, CRLF, data, CRLF. Empty data yields "" (an empty
// chunk would end the body; the last chunk is kLastChunk).
std::string encode_chunk(std::string_view data);
inline constexpr std::string_view kLastChunk = "0\r\n\r\n";

}  // namespace detail

}  // namespace turbine::http
