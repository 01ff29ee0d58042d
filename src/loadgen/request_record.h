// What the load generator saw of one request. Times are seconds from the start of the
// measured run on the generator's steady clock, taken on its event loop as bytes arrived.
// A plain value.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace turbine::loadgen {

struct RequestRecord {
  int64_t session = 0;  // sessions are numbered from 0 in the order they started
  int64_t turn = 0;
  double arrival_s = 0;       // when the load model wanted it sent
  double sent_s = 0;          // when it was sent (later than arrival under a concurrency cap)
  double first_token_s = -1;  // the first event carrying a token; -1: none came
  double done_s = 0;          // the stream ended (or failed)
  std::vector<float> itl_s;   // gaps between successive token-carrying events (seconds)
  int64_t num_token_events = 0;
  int64_t prompt_tokens = 0;  // from the server's usage, else counted or estimated
  int64_t output_tokens = 0;  // likewise
  bool usage_reported = false;
  int64_t requested_output_tokens = 0;  // max_tokens sent; 0: none
  int http_status = 0;
  std::string error_kind;     // "" when the request succeeded; see kErrorKinds
  std::string error_message;

  bool ok() const { return error_kind.empty(); }
  double ttft_s() const { return first_token_s < 0 ? -1 : first_token_s - sent_s; }
  double e2e_s() const { return done_s - sent_s; }
  // Time per output token after the first: (e2e - ttft) / (output_tokens - 1); -1 when
  // fewer than two tokens came.
  double tpot_s() const {
    return output_tokens < 2 || first_token_s < 0 ? -1 : (done_s - first_token_s) / double(output_tokens - 1);
  }
};

// connect: no connection; timeout: the server went silent past --timeout; http_NNN: an error
// status; disconnected: the connection broke mid-answer; error_event: the stream carried an
// error object; bad_event: an event that is not JSON; incomplete: the stream ended without
// "[DONE]".
inline constexpr const char* kErrorKinds =
    "connect, timeout, http_NNN, disconnected, error_event, bad_event, incomplete";

}  // namespace turbine::loadgen
