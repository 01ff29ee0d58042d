// The worker protocol's messages as JSON: what a frontend sends a worker (a generate request with
// token ids) and what comes back (one line per engine output, newline-delimited JSON), the event
// stream of prefix-cache changes and load, and a worker's registration in the store. Pure
// functions; any thread. Decoding untrusted bytes never throws: errors say which field is wrong.
//
//   POST /worker/generate   {"prompt":[ids],"params":{...}}  ->  200 application/x-ndjson, one
//                           RequestOutput per line; 400 bad request, 429 full, 503 stopping
//   GET  /worker/events     ->  200 application/x-ndjson: {"stored":[hash..]} / {"removed":[..]}
//                           lines in the engine's order (the whole cached set first, after a
//                           {"reset":true} line) and a {"load":{...}} line every interval
//   GET  /worker/load       ->  {"num_running":..,"num_waiting":..,"kv_cache_usage":..}
//   GET  /worker/info       ->  the registration (WorkerInfo)
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "engine/block_pool.h"
#include "engine/request.h"
#include "worker/worker_client.h"

namespace turbine {

inline constexpr std::string_view kNdjsonContentType = "application/x-ndjson";

// Where workers register in the store: kWorkersPrefix + model + "/" + instance id.
inline constexpr std::string_view kWorkersPrefix = "/turbine/workers/";

// What a worker tells the cluster about itself (its value under kWorkersPrefix, and /worker/info).
struct WorkerInfo {
  std::string id;            // unique: host:port of its protocol server
  std::string model;         // served model name
  std::string version;       // registry version; "" when unversioned
  std::string address;       // "http://host:port"
  std::string model_path;    // checkpoint (or tokenizer) the frontend loads the tokenizer from
  std::string kind = "engine";  // "engine" or "openai" (an external OpenAI-compatible server)
  int32_t capacity = 0;      // sequences at once
  int32_t block_size = 16;   // KV block tokens (prefix hashes); 0: no KV events
  int64_t max_model_len = 0;

  bool operator==(const WorkerInfo&) const = default;
};

std::string encode_worker_info(const WorkerInfo& info);
Result<WorkerInfo> decode_worker_info(std::string_view json);

std::string encode_worker_request(const WorkerRequest& request);
Result<WorkerRequest> decode_worker_request(std::string_view json);

// One output as one line (with the trailing '\n').
std::string encode_output_line(const RequestOutput& out);
Result<RequestOutput> decode_output_line(std::string_view line);

struct WorkerLoad {
  int64_t num_running = 0;
  int64_t num_waiting = 0;
  double kv_cache_usage = 0.0;
};
std::string encode_load(const WorkerLoad& load);
Result<WorkerLoad> decode_load(std::string_view json);

// One line of the event stream.
struct WorkerEvent {
  enum class Kind { kReset, kStored, kRemoved, kLoad };
  Kind kind = Kind::kReset;
  std::vector<uint64_t> hashes;  // kStored / kRemoved
  WorkerLoad load;               // kLoad
};
// KV events as lines, runs of one kind per line so the order is kept.
std::string encode_kv_event_lines(const std::vector<KvEvent>& events);
std::string encode_event_line(const WorkerEvent& event);
Result<WorkerEvent> decode_event_line(std::string_view line);

// Splits a byte stream into lines: feed() pieces, take whole lines (without '\n') as they
// complete. A line longer than `max_line_bytes` is an error (a broken or hostile peer).
class LineSplitter {
 public:
  explicit LineSplitter(size_t max_line_bytes = 64u << 20) : max_line_bytes_(max_line_bytes) {}
  // Appends `piece`; calls fn(line) for each completed line. False if a line grew too long.
  template <typename Fn>
  bool feed(std::string_view piece, Fn&& fn) {
    size_t start = 0;
    for (size_t i = 0; i < piece.size(); ++i) {
      if (piece[i] != '\n') continue;
      if (buffer_.empty()) {
        fn(piece.substr(start, i - start));
      } else {
        buffer_.append(piece.substr(start, i - start));
        fn(std::string_view(buffer_));
        buffer_.clear();
      }
      start = i + 1;
    }
    buffer_.append(piece.substr(start));
    return buffer_.size() <= max_line_bytes_;
  }
  bool has_partial_line() const { return !buffer_.empty(); }

 private:
  size_t max_line_bytes_;
  std::string buffer_;
};

}  // namespace turbine
