// Internal to http/: which handler answers a request, by exact method and path, and the 404 or
// 405 when none does. Filled before the server starts, then read-only: any io thread may
// dispatch concurrently.
#pragma once

#include <map>
#include <string>

#include "http/server.h"

namespace turbine::http::detail {

class RouteTable {
 public:
  void add(std::string method, std::string path, Handler handler);

  // Calls the handler for `request`, or answers 404/405 through `error_body`. A handler that
  // throws gets a 500 answered for it (if it had not answered yet), and the throw stops here.
  void dispatch(Request request, Responder responder, const ErrorFormatter& error_body) const;

 private:
  std::map<std::string, std::map<std::string, Handler>, std::less<>> routes_;  // path -> method
};

}  // namespace turbine::http::detail
