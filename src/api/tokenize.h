// POST /tokenize and /detokenize as vLLM serves them: a prompt or chat messages in, token ids
// out ({"count","max_model_len","tokens","token_strs"}), and token ids back to text
// ({"prompt"}). Parsing and serialization only; the frontend tokenizes. Any thread.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "api/api_error.h"
#include "api/chat_message.h"
#include "api/chat_tools.h"

namespace turbine::api {

struct TokenizeRequest {
  std::string model{};                     // optional (vLLM); "": the server's model if it has one
  bool is_chat = false;                    // messages were given instead of prompt
  std::string prompt{};                    // when !is_chat
  std::vector<ChatMessage> messages{};     // when is_chat; at least one
  nlohmann::json template_messages{};      // messages_for_template(messages)
  std::vector<ToolDefinition> tools{};
  nlohmann::json template_tools{};         // null when none
  ChatTemplateOptions template_options{};  // when is_chat
  bool add_special_tokens = true;          // default true for a prompt, false for messages (vLLM)
  bool return_token_strs = false;          // also answer each token's text
};

// {"model"?, "prompt"} or {"model"?, "messages", "add_generation_prompt"?, ...}; exactly one of
// prompt and messages.
ApiResult<TokenizeRequest> parse_tokenize_request(std::string_view body);

// {"count","max_model_len","tokens","token_strs"}; token_strs is null unless given.
std::string tokenize_response_json(const std::vector<int32_t>& tokens, int64_t max_model_len,
                                   const std::vector<std::string>* token_strs = nullptr);

struct DetokenizeRequest {
  std::string model{};  // optional; "": the server's model
  std::vector<int32_t> tokens{};
};

// {"model"?, "tokens":[ids]}: ids are integers in [0, 2^31); checking them against the
// vocabulary is the frontend's job.
ApiResult<DetokenizeRequest> parse_detokenize_request(std::string_view body);

// {"prompt": text}
std::string detokenize_response_json(const std::string& prompt);

}  // namespace turbine::api
