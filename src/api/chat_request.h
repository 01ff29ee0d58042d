// POST /v1/chat/completions: the request body parsed and checked into plain values. Bad input
// yields a 400 ApiError naming the field; fields turbine does not know are ignored. The frontend
// maps the result onto the tokenizer's chat template and the engine. Any thread.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "api/api_error.h"
#include "api/chat_message.h"
#include "api/chat_tools.h"
#include "api/generation_params.h"

namespace turbine::api {

struct ChatCompletionRequest {
  GenerationParams params{};            // max_tokens unset: up to the end of the context
  std::vector<ChatMessage> messages{};  // at least one
  nlohmann::json template_messages{};   // messages_for_template(messages)
  std::vector<ToolDefinition> tools{};
  nlohmann::json template_tools{};      // tools_for_template(tools): null when none
  nlohmann::json tool_choice{};         // see read_tools()
  bool logprobs = false;
  int32_t top_logprobs = 0;             // [0, 20]; only with logprobs
  ChatTemplateOptions template_options{};
  bool add_special_tokens = false;      // vLLM's default for chat: the template writes BOS itself
};

// Parses and checks a request body. response_format other than {"type":"text"}, image and
// audio content parts, and a non-empty logit_bias are refused as not supported yet.
ApiResult<ChatCompletionRequest> parse_chat_completion_request(std::string_view body);

}  // namespace turbine::api
