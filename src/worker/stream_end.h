// The final output a WorkerClient that streams from another server (RemoteWorker, OpenAiUpstream)
// sends when a stream ends without its last output: the WorkerClient contract's failure kinds
// from what happened on the wire. Pure functions; any thread.
#pragma once

#include <string>
#include <string_view>

#include "base/status.h"
#include "engine/request.h"

namespace turbine {

// What is known about a stream that ended early.
struct StreamEnd {
  bool cancelled = false;  // the caller cancelled, or the client is closing: an abort, not a failure
  bool started = false;    // an output reached the caller
  int http_status = 0;     // 0: no answer head arrived
  std::string error_body;  // the answer body when http_status != 200
  std::string malformed;   // why a line or event did not decode, if one did not
};

// kError output of `code`; `started` as the contract says.
RequestOutput failure_output(ErrorCode code, std::string message, bool started);

// The last output for `end`; `transport` is the exchange's status (ok when the connection ended
// cleanly); `who` starts every message ("worker http://h:p: ").
RequestOutput stream_end_output(const StreamEnd& end, const Status& transport, const std::string& who);

// 400/422 refused, 429 full, 404/502/503 unavailable, 504 timed out, other: internal.
ErrorCode error_code_of_http_status(int status);

// Appends an answer-body piece to `body` (the body of a non-200 answer, kept for the error
// message) while under 64 KiB is kept; each piece is cut to 64 KiB.
void append_error_body(std::string* body, std::string_view piece);

// The message of an OpenAI-style {"error": {"message": ...}} (or {"error": "..."}) body, else the
// body's start.
std::string error_body_message(const std::string& body);

}  // namespace turbine
