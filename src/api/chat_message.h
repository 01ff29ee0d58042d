// The messages of a chat request: checked and typed, and rebuilt as the JSON a chat template
// renders (content parts joined, tool-call arguments as objects). Shared by
// /v1/chat/completions and /tokenize. Value types; any thread.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "api/api_error.h"
#include "api/field_reader.h"

namespace turbine::api {

enum class ChatRole { kSystem, kDeveloper, kUser, kAssistant, kTool };

const char* chat_role_name(ChatRole role);  // "system", "developer", ...

// A call the assistant made; its type is always "function".
struct ToolCall {
  std::string id{};
  std::string name{};
  std::string arguments{};  // JSON text, as the model wrote it
};

struct ChatMessage {
  ChatRole role = ChatRole::kUser;
  std::optional<std::string> content{};            // parts joined with "\n"; unset: null (assistant only)
  std::string name{};                              // "": none
  std::vector<ToolCall> tool_calls{};              // assistant only
  std::string tool_call_id{};                      // tool only; "": none
  std::optional<std::string> reasoning_content{};  // assistant's earlier reasoning, if sent back
};

// How the chat template renders the messages (vLLM's request fields of the same names).
struct ChatTemplateOptions {
  nlohmann::json kwargs = nlohmann::json::object();  // chat_template_kwargs: {"enable_thinking": false}
  bool add_generation_prompt = true;                 // end with the assistant's header, ready for its reply
  bool continue_final_message = false;               // leave the last message open for the model to continue
};

// Reads chat_template_kwargs, add_generation_prompt and continue_final_message (which cannot
// both be true) from a request body.
void read_chat_template_options(FieldReader& reader, ChatTemplateOptions* out);

// Checks `messages` (the request's "messages" value): a non-empty array of objects whose role is
// one of ChatRole and whose content is a string, an array of {"type":"text","text":...} parts, or
// null for an assistant message. Other part types (image_url, input_audio) are refused as not
// supported. Errors name the field: "messages[1].content[0].type".
ApiResult<std::vector<ChatMessage>> parse_chat_messages(const nlohmann::json& messages);

// The messages as a chat template expects them: {"role","content"} plus "name", "tool_calls",
// "tool_call_id" and "reasoning_content" where set. A tool call's "arguments" becomes the parsed
// object when it is a JSON object (templates apply `tojson` to it, as vLLM prepares them), and
// stays a string otherwise.
nlohmann::json messages_for_template(const std::vector<ChatMessage>& messages);

}  // namespace turbine::api
