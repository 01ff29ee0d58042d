// An api::ApiError as the HTTP response that carries it: its status, the OpenAI error object,
// and Retry-After on 429 (the client may retry once the queue drains). Any thread.
#pragma once

#include "api/api_error.h"
#include "http/message.h"

namespace turbine {

http::Response error_response(const api::ApiError& error);

}  // namespace turbine
