// What the load generator sends: sessions of one or more turns, synthesised (random lengths,
// shared prefixes, multi-turn conversations) or read from a JSONL file or a timestamped trace.
// A Workload is used from one thread at a time.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/status.h"
#include "loadgen/distribution.h"
#include "loadgen/text_synth.h"

namespace turbine::loadgen {

struct TurnPlan {
  std::string user_text;                // the user's words this turn (synthesised or "prompt")
  nlohmann::json messages = nullptr;    // a JSONL chat entry's messages, sent as they are
  int64_t max_tokens = 0;               // 0: the server decides
  int64_t input_tokens = 0;             // tokens the text was made to have; 0: unknown
  double think_time_s = 0;              // pause after the previous answer, before this turn
};

struct SessionPlan {
  std::string system_prompt;  // a shared prefix; "" for none
  std::vector<TurnPlan> turns;  // at least one
  double start_at_s = -1;       // a trace's arrival time from the start of the run; -1: none
};

struct WorkloadOptions {
  std::string kind = "random";  // random | shared-prefix | multi-turn | jsonl | trace
  Distribution input_len = Distribution::fixed(256);   // tokens of each user turn
  Distribution output_len = Distribution::fixed(128);  // max_tokens of each turn
  int64_t prefix_groups = 4;    // shared-prefix: groups, each with its own system prompt
  int64_t prefix_len = 512;     // shared-prefix: tokens of each group's system prompt
  int64_t turns = 4;            // multi-turn: turns per session
  Distribution think_time_ms = Distribution::fixed(0);  // multi-turn: pause between turns
  std::string dataset_path;     // jsonl / trace
  double trace_speed = 1.0;     // trace: 2 replays twice as fast
  int64_t trace_block_tokens = 512;  // trace: tokens per hash id (Mooncake's block size)
};

inline constexpr const char* kWorkloadKinds = "random, shared-prefix, multi-turn, jsonl, trace";

class Workload {
 public:
  // Reads and checks the dataset, if the kind has one: errors name the file and the line.
  // `seed` fixes everything shared between sessions (the shared prefixes, a trace's hash-id
  // blocks); `stream` varies only the per-session draws, so a warm-up on another stream
  // fills the server's prefix cache with the very prefixes the measured run will use.
  static Result<std::unique_ptr<Workload>> create(const WorkloadOptions& options,
                                                  std::shared_ptr<const TextSynthesizer> text,
                                                  uint64_t seed, uint64_t stream = 0);
  virtual ~Workload() = default;

  // The next session; nullopt when the workload is used up (a trace has been replayed once).
  // A JSONL file starts again from its first line.
  virtual std::optional<SessionPlan> next() = 0;
  // Whether sessions carry their own start times (a trace), replacing the arrival process.
  virtual bool has_timestamps() const { return false; }
};

}  // namespace turbine::loadgen
