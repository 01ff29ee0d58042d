// What every completion response carries whatever its endpoint: why a choice ended and the token
// usage. Value types and pure functions; any thread.
#pragma once

#include <cstdint>

#include <nlohmann/json.hpp>

namespace turbine::api {

enum class FinishReason {
  kStop,       // EOS, a stop string or a stop token
  kLength,     // max_tokens or the end of the context
  kToolCalls,  // the model called a tool
  kAbort,      // cancelled or failed on the server (vLLM's "abort")
};

const char* finish_reason_name(FinishReason reason);  // "stop", "length", "tool_calls", "abort"

struct Usage {
  int64_t prompt_tokens = 0;
  int64_t completion_tokens = 0;
  int64_t cached_tokens = 0;  // prompt tokens served from the prefix cache
};

// {"prompt_tokens","completion_tokens","total_tokens","prompt_tokens_details":{"cached_tokens"}}
nlohmann::ordered_json usage_json(const Usage& usage);

}  // namespace turbine::api
