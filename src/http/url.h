// Parsing the http:// URLs the client is given (bench targets, worker addresses). No Asio here.
// Pure functions; any thread.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "base/status.h"

namespace turbine::http {

struct Url {
  std::string host;  // a name or address; an IPv6 address without its brackets
  uint16_t port = 80;
  std::string target;  // path and query, at least "/"; no fragment

  // "host:port" as a Host header writes it (IPv6 in brackets).
  std::string authority() const;
};

// Parses "http://host[:port][/path][?query][#fragment]". Other schemes (https included), user
// info, an empty host and a bad port are errors.
Result<Url> parse_url(std::string_view url);

}  // namespace turbine::http
