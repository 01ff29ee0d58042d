// The OpenAI wire format as the load generator speaks it: the body of each streamed request
// (chat or completions, with the session's history) and what each server-sent event says
// (text, usage, an error, the end). Pure functions; any thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/status.h"
#include "loadgen/workload.h"

namespace turbine::loadgen {

enum class Endpoint { kChat, kCompletions };

struct RequestShape {
  Endpoint endpoint = Endpoint::kChat;
  std::string model;
  // Send min_tokens = max_tokens and ignore_eos (vLLM, SGLang, turbine honour them) so every
  // answer is as long as the workload asked.
  bool exact_output_len = true;
  nlohmann::json extra_body = nlohmann::json::object();  // merged into every body last
};

// The body for turn `turn` of `session`, given the assistant's replies to the earlier turns
// (replies.size() >= turn). Chat: system prompt, then each earlier user turn and its reply,
// then this turn's user text (a JSONL entry's messages go as they are). Completions: the
// same texts joined into one prompt.
std::string build_request_body(const RequestShape& shape, const SessionPlan& session, size_t turn,
                               const std::vector<std::string>& replies);

// The prompt's texts as one string (system prompt, history, this turn; a JSONL entry's message
// contents), for counting its tokens when a server reports no usage.
std::string prompt_text(const SessionPlan& session, size_t turn,
                        const std::vector<std::string>& replies);

// What one event of the answer stream carried.
struct StreamChunk {
  bool done = false;          // the "[DONE]" sentinel
  std::string text;           // generated text (content, reasoning, or completion text)
  std::string content;        // the part of `text` a chat client keeps: no reasoning
  bool has_token = false;     // text or a tool-call delta: the stream moved by a token
  std::optional<int64_t> prompt_tokens;      // from "usage", when the server sent it
  std::optional<int64_t> completion_tokens;
  std::string error;          // an {"error": ...} event's message
};

// Interprets one event's data. An error status: the data is not JSON.
Result<StreamChunk> parse_stream_chunk(std::string_view data);

// The message of an OpenAI error body ({"error": {"message": ...}}), or the body itself cut
// to a readable length.
std::string error_message_of(std::string_view body);

}  // namespace turbine::loadgen
