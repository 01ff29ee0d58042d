// Responses of /v1/completions as OpenAI shapes them: the "text_completion" object and the
// chunks a stream sends (the same object name, one piece of text per choice). Built from plain
// values, never engine types. Pure functions; any thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "api/logprobs.h"
#include "api/response_common.h"

namespace turbine::api {

// index numbers the choices of a batch as vLLM does: prompt_index * n + the choice's place.
// text_offset is where the first logprobs token starts, in characters of this choice's text
// before `text` (0 unless streaming).
struct CompletionChoice {
  int32_t index = 0;
  std::string text{};                                   // a stream chunk: the new text only
  std::optional<std::vector<TokenLogprob>> logprobs{};  // unset: "logprobs": null
  int64_t text_offset = 0;
  std::optional<FinishReason> finish_reason{};          // unset: null (stream chunks before the last)
};

struct TextCompletion {
  std::string id{};     // "cmpl-..."
  int64_t created = 0;  // Unix time, seconds
  std::string model{};
  std::vector<CompletionChoice> choices{};
  Usage usage{};
};

// {"id","object":"text_completion","created","model","choices":[{"index","text","logprobs",
// "finish_reason"}],"usage":{...}}.
std::string text_completion_json(const TextCompletion& completion);

struct TextCompletionChunk {
  std::string id{};  // the same for every chunk of a response
  int64_t created = 0;
  std::string model{};
  std::vector<CompletionChoice> choices{};  // empty in the final usage chunk
  bool include_usage = false;               // stream_options.include_usage: every chunk has "usage" (null)
  std::optional<Usage> usage{};
};

// The same shape as text_completion_json, with "usage" only when include_usage or usage is set.
std::string text_completion_chunk_json(const TextCompletionChunk& chunk);

}  // namespace turbine::api
