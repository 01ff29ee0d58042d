// Server-sent events (the WHATWG "text/event-stream" format) as the OpenAI streaming API uses
// them: formatting events on the server side, and an incremental parser for clients (bench,
// tests, the worker protocol). No Asio here. Free functions: any thread; an SseParser belongs
// to one stream and is not thread-safe.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "http/message.h"

namespace turbine::http {

inline constexpr std::string_view kSseContentType = "text/event-stream";

// The headers that go with an event stream: cache-control: no-cache, and x-accel-buffering: no
// so a reverse proxy (nginx) passes events through instead of buffering them.
Headers sse_headers();

// One event carrying `data`: "data: <line>\n" for each line of `data` (split at \n, \r\n or
// \r, since a raw newline would end the field), then the blank line that ends the event.
// `event`, when not empty, adds an "event: <event>" line first.
std::string sse_event(std::string_view data, std::string_view event = {});

struct SseEvent {
  std::string event;  // the "event:" field; empty means the default type, "message"
  std::string data;   // "data:" fields joined with '\n'
  std::string id;     // the "id:" field, if the event had one
};

// Parses an event stream fed in pieces of any size: lines may end in \n, \r\n or \r (a \r\n
// split across two pieces counts once), comment lines (": ...") and unknown fields are
// skipped, and an event is complete at its blank line. As the standard says, an event
// without a data field is not dispatched, and an event cut off by the end of the stream is
// dropped.
class SseParser {
 public:
  // Appends the events that `bytes` completes to `out`.
  void feed(std::string_view bytes, std::vector<SseEvent>& out);
  // The same, returning only the completed events.
  std::vector<SseEvent> feed(std::string_view bytes);

 private:
  void process_line(std::string_view line, std::vector<SseEvent>& out);

  std::string line_;       // the unfinished line so far
  bool skip_lf_ = false;   // the last piece ended in \r: a leading \n belongs to it
  bool at_start_ = true;   // a UTF-8 BOM at the very start of the stream is ignored
  bool has_data_ = false;  // the pending event has seen a data field
  SseEvent pending_;
};

}  // namespace turbine::http
