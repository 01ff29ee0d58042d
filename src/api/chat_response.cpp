#include "api/chat_response.h"

#include "api/json_dump.h"

namespace turbine::api {
namespace {

using ojson = nlohmann::ordered_json;

ojson tool_calls_json(const std::vector<ToolCall>& calls) {
  ojson out = ojson::array();
  for (const ToolCall& c : calls) {
    out.push_back({{"id", c.id},
                   {"type", "function"},
                   {"function", {{"name", c.name}, {"arguments", c.arguments}}}});
  }
  return out;
}

ojson tool_call_deltas_json(const std::vector<ToolCallDelta>& deltas) {
  ojson out = ojson::array();
  for (const ToolCallDelta& d : deltas) {
    ojson entry = {{"index", d.index}};
    ojson function = ojson::object();
    if (!d.id.empty()) {
      entry["id"] = d.id;
      entry["type"] = "function";
    }
    if (!d.name.empty()) function["name"] = d.name;
    function["arguments"] = d.arguments;
    entry["function"] = std::move(function);
    out.push_back(std::move(entry));
  }
  return out;
}

ojson logprobs_or_null(const std::optional<std::vector<TokenLogprob>>& logprobs) {
  return logprobs ? chat_logprobs_json(*logprobs) : ojson(nullptr);
}

ojson message_json(const ChatChoice& choice) {
  ojson message = {{"role", "assistant"}};
  const bool null_content = choice.content.empty() && !choice.tool_calls.empty();
  message["content"] = null_content ? ojson(nullptr) : ojson(choice.content);
  if (choice.reasoning_content) message["reasoning_content"] = *choice.reasoning_content;
  if (!choice.tool_calls.empty()) message["tool_calls"] = tool_calls_json(choice.tool_calls);
  return message;
}

ojson delta_json(const ChatChunkChoice& choice) {
  ojson delta = ojson::object();
  if (choice.role) delta["role"] = "assistant";
  if (choice.content) delta["content"] = *choice.content;
  if (choice.reasoning_content) delta["reasoning_content"] = *choice.reasoning_content;
  if (!choice.tool_calls.empty()) delta["tool_calls"] = tool_call_deltas_json(choice.tool_calls);
  return delta;
}

ojson header(const std::string& id, const char* object, int64_t created, const std::string& model) {
  return {{"id", id}, {"object", object}, {"created", created}, {"model", model}};
}

}  // namespace

std::string chat_completion_json(const ChatCompletion& completion) {
  ojson out = header(completion.id, "chat.completion", completion.created, completion.model);
  ojson choices = ojson::array();
  for (const ChatChoice& c : completion.choices) {
    choices.push_back({{"index", c.index},
                       {"message", message_json(c)},
                       {"logprobs", logprobs_or_null(c.logprobs)},
                       {"finish_reason", finish_reason_name(c.finish_reason)}});
  }
  out["choices"] = std::move(choices);
  out["usage"] = usage_json(completion.usage);
  return dump_json(out);
}

std::string chat_chunk_json(const ChatCompletionChunk& chunk) {
  ojson out = header(chunk.id, "chat.completion.chunk", chunk.created, chunk.model);
  ojson choices = ojson::array();
  for (const ChatChunkChoice& c : chunk.choices) {
    choices.push_back({{"index", c.index},
                       {"delta", delta_json(c)},
                       {"logprobs", logprobs_or_null(c.logprobs)},
                       {"finish_reason", c.finish_reason ? ojson(finish_reason_name(*c.finish_reason)) : ojson()}});
  }
  out["choices"] = std::move(choices);
  if (chunk.usage) {
    out["usage"] = usage_json(*chunk.usage);
  } else if (chunk.include_usage) {
    out["usage"] = nullptr;
  }
  return dump_json(out);
}

}  // namespace turbine::api
