#include "http/client_wire.h"

#include <boost/beast/core/error.hpp>

namespace turbine::http::detail {

namespace beast = boost::beast;
namespace bhttp = boost::beast::http;

namespace {

std::string lowercase(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

std::string_view to_std(beast::string_view s) { return {s.data(), s.size()}; }

}  // namespace

Status client_transport_error(std::string_view what, const Url& url,
                              const boost::system::error_code& ec) {
  std::string why = ec == beast::error::timeout ? std::string("timed out") : ec.message();
  return io_error("http " + std::string(what) + " " + url.authority() + ": " + why);
}

bhttp::request<bhttp::string_body> build_client_request(const Url& url,
                                                        const ClientRequest& request) {
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

Headers response_headers(const bhttp::fields& fields) {
  Headers headers;
  for (const auto& field : fields) {
    headers.emplace_back(lowercase(to_std(field.name_string())), std::string(to_std(field.value())));
  }
  return headers;
}

}  // namespace turbine::http::detail
