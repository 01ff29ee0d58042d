// POST /v1/completions: the request body parsed and checked into plain values. Bad input yields
// a 400 ApiError naming the field; fields turbine does not know are ignored. Any thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "api/api_error.h"
#include "api/generation_params.h"

namespace turbine::api {

// One prompt: text to tokenize, or token ids given by the client.
using Prompt = std::variant<std::string, std::vector<int32_t>>;

struct CompletionRequest {
  GenerationParams params{};          // max_tokens unset by the client: 16 (OpenAI's default)
  std::vector<Prompt> prompts{};      // a batch: each prompt gets params.n choices; none is empty
  bool echo = false;                  // the prompt's text goes before the completion
  std::optional<int32_t> logprobs{};  // [0, 5]: how many alternatives per token; unset: none
  bool add_special_tokens = true;     // vLLM: BOS in front of a text prompt
};

// Parses and checks a request body. "prompt" may be a string, an array of strings, an array of
// token ids, or an array of arrays of token ids. A non-empty "suffix" is refused as not
// supported; "best_of" must equal "n".
ApiResult<CompletionRequest> parse_completion_request(std::string_view body);

}  // namespace turbine::api
