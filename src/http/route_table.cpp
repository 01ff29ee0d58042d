#include "http/route_table.h"

#include <utility>

namespace turbine::http::detail {

void RouteTable::add(std::string method, std::string path, Handler handler) {
  routes_[std::move(path)][std::move(method)] = std::move(handler);
}

void RouteTable::dispatch(Request request, Responder responder,
                          const ErrorFormatter& error_body) const {
  auto by_path = routes_.find(request.path);
  if (by_path == routes_.end()) {
    responder.respond(error_body(404, "no route for " + request.method + " " + request.path));
    return;
  }
  auto by_method = by_path->second.find(request.method);
  if (by_method == by_path->second.end()) {
    std::string allow;
    for (const auto& [method, handler] : by_path->second) {
      if (!allow.empty()) allow += ", ";
      allow += method;
    }
    Response response = error_body(405, "method " + request.method + " is not allowed for " +
                                            request.path + " (allowed: " + allow + ")");
    response.headers.emplace_back("allow", allow);
    responder.respond(std::move(response));
    return;
  }
  // A handler that throws has its Responder parameter destroyed on the way out, which
  // answers 500 unless it was answered or moved on; an exception must not reach Asio.
  try {
    by_method->second(std::move(request), std::move(responder));
  } catch (...) {
  }
}

}  // namespace turbine::http::detail
