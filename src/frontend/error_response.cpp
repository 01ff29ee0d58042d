#include "frontend/error_response.h"

namespace turbine {

http::Response error_response(const api::ApiError& error) {
  http::Response r;
  r.status = error.status;
  r.body = api::error_json(error);
  if (error.status == 429) r.headers.emplace_back("retry-after", "1");
  return r;
}

}  // namespace turbine
