// Responses of /v1/chat/completions as OpenAI shapes them: the whole "chat.completion" object,
// and the "chat.completion.chunk" objects a stream sends (the frontend wraps each in an SSE
// "data:" line). Built from plain values, never engine types. Pure functions; any thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "api/chat_message.h"
#include "api/logprobs.h"
#include "api/response_common.h"

namespace turbine::api {

struct ChatChoice {
  int32_t index = 0;
  std::string content{};                                // null in the JSON if empty and tool_calls set
  std::optional<std::string> reasoning_content{};       // written only when set
  std::vector<ToolCall> tool_calls{};                   // written only when non-empty
  std::optional<std::vector<TokenLogprob>> logprobs{};  // unset: "logprobs": null
  FinishReason finish_reason = FinishReason::kStop;
};

struct ChatCompletion {
  std::string id{};     // "chatcmpl-..."
  int64_t created = 0;  // Unix time, seconds
  std::string model{};  // the name the client asked for
  std::vector<ChatChoice> choices{};
  Usage usage{};
};

// {"id","object":"chat.completion","created","model","choices":[{"index","message":{"role":
// "assistant","content",...},"logprobs","finish_reason"}],"usage":{...}}.
std::string chat_completion_json(const ChatCompletion& completion);

// One streamed piece of a tool call: the first piece of a call carries its id and name, later
// pieces only more of the arguments.
struct ToolCallDelta {
  int32_t index = 0;        // which call of the choice
  std::string id{};         // "": omitted
  std::string name{};       // "": no "name" in "function"
  std::string arguments{};  // the next piece of the arguments' JSON text
};

struct ChatChunkChoice {
  int32_t index = 0;
  bool role = false;                               // the choice's first chunk: "role":"assistant"
  std::optional<std::string> content{};            // unset: no "content" in the delta
  std::optional<std::string> reasoning_content{};  // unset: none in the delta
  std::vector<ToolCallDelta> tool_calls{};
  std::optional<std::vector<TokenLogprob>> logprobs{};  // unset: "logprobs": null
  std::optional<FinishReason> finish_reason{};          // set on the choice's last chunk; else null
};

struct ChatCompletionChunk {
  std::string id{};  // the same for every chunk of a response
  int64_t created = 0;
  std::string model{};
  std::vector<ChatChunkChoice> choices{};  // empty in the final usage chunk
  bool include_usage = false;              // stream_options.include_usage: every chunk has "usage" (null)
  std::optional<Usage> usage{};            // the final chunk's (or every chunk's, continuous_usage_stats)
};

// {"id","object":"chat.completion.chunk","created","model","choices":[{"index","delta":{...},
// "logprobs","finish_reason"}]} plus "usage" when include_usage or usage is set.
std::string chat_chunk_json(const ChatCompletionChunk& chunk);

}  // namespace turbine::api
