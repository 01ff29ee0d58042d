// Internal to http/: what the blocking and the event-loop clients share on the wire, Beast
// included (never include this outside src/http). Pure functions; any thread.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include <boost/beast/core/error.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>

#include "base/status.h"
#include "http/client.h"
#include "http/url.h"

namespace turbine::http::detail {

// Answers with longer headers are refused as malformed.
inline constexpr uint32_t kMaxResponseHeaderBytes = 64 * 1024;

// An io error naming what failed, the host, and why ("timed out" for a Beast timeout).
Status client_transport_error(std::string_view what, const Url& url,
                              const boost::system::error_code& ec);

// The request as sent: host and user-agent added when absent, content-length set.
boost::beast::http::request<boost::beast::http::string_body> build_client_request(
    const Url& url, const ClientRequest& request);

// The answer's headers, names lowercased.
Headers response_headers(const boost::beast::http::fields& fields);

// A parser for an answer of any length, with our header limit; skips the body of HEAD.
template <class Parser>
void configure_response_parser(Parser& parser, bool is_head) {
  parser.header_limit(kMaxResponseHeaderBytes);
  // Not boost::none: Beast 1.74 compares a content-length against an empty limit as too large.
  parser.body_limit(UINT64_MAX);
  if (is_head) parser.skip(true);
}

}  // namespace turbine::http::detail
