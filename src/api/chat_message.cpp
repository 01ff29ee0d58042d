#include "api/chat_message.h"

namespace turbine::api {
namespace {

std::optional<ChatRole> role_from_name(const std::string& name) {
  if (name == "system") return ChatRole::kSystem;
  if (name == "developer") return ChatRole::kDeveloper;
  if (name == "user") return ChatRole::kUser;
  if (name == "assistant") return ChatRole::kAssistant;
  if (name == "tool") return ChatRole::kTool;
  return std::nullopt;
}

// Content as an array of parts: text parts are joined with "\n", as vLLM joins them.
ApiResult<std::string> read_content_parts(const nlohmann::json& parts, const std::string& where) {
  std::string text;
  for (size_t j = 0; j < parts.size(); ++j) {
    const std::string part_name = where + "[" + std::to_string(j) + "]";
    if (!parts[j].is_object()) return invalid_request("'" + part_name + "' must be an object", part_name);
    FieldReader part(parts[j], part_name + ".");
    const std::optional<std::string> type = part.string("type");
    if (!part.failed() && !type) part.fail("type", "'" + part.param("type") + "' is required");
    if (!part.failed() && *type != "text") {
      part.fail("type", "content part type '" + *type + "' is not supported yet; only 'text' is");
    }
    const std::optional<std::string> part_text = part.string("text");
    if (!part.failed() && !part_text) part.fail("text", "'" + part.param("text") + "' is required");
    if (part.failed()) return part.error();
    if (j > 0) text += '\n';
    text += *part_text;
  }
  return text;
}

void read_content(FieldReader& reader, ChatMessage* out) {
  const nlohmann::json* content = reader.failed() ? nullptr : reader.value("content");
  if (!content) {
    if (out->role != ChatRole::kAssistant && !reader.failed())
      reader.fail("content", "'" + reader.param("content") + "' is required for this role");
    return;
  }
  if (content->is_string()) {
    out->content = content->get<std::string>();
  } else if (content->is_array()) {
    ApiResult<std::string> text = read_content_parts(*content, reader.param("content"));
    if (!text) return reader.fail(text.error());
    out->content = std::move(text).value();
  } else {
    reader.fail("content", "'" + reader.param("content") + "' must be a string or an array of parts, got " +
                               json_type_name(*content));
  }
}

// {"id", "type": "function", "function": {"name", "arguments"}}.
ApiResult<ToolCall> read_tool_call(const nlohmann::json& call, const std::string& where) {
  if (!call.is_object()) return invalid_request("'" + where + "' must be an object", where);
  FieldReader r(call, where + ".");
  ToolCall out;
  if (auto v = r.string("id")) out.id = std::move(*v);
  const std::optional<std::string> type = r.string("type");
  if (!r.failed() && type && *type != "function") r.fail("type", "'" + r.param("type") + "' must be 'function'");
  const nlohmann::json* function = r.object("function");
  if (!r.failed() && !function) r.fail("function", "'" + r.param("function") + "' is required");
  if (r.failed()) return r.error();
  FieldReader f(*function, where + ".function.");
  if (auto v = f.string("name")) out.name = std::move(*v);
  if (!f.failed() && out.name.empty()) f.fail("name", "'" + f.param("name") + "' is required");
  // OpenAI sends a JSON string; some clients send the object itself.
  const nlohmann::json* args = f.failed() ? nullptr : f.value("arguments");
  if (args && args->is_string()) {
    out.arguments = args->get<std::string>();
  } else if (args && args->is_object()) {
    out.arguments = args->dump();
  } else if (args) {
    f.fail("arguments", "'" + f.param("arguments") + "' must be a string, got " + json_type_name(*args));
  }
  if (f.failed()) return f.error();
  return out;
}

ApiResult<ChatMessage> read_message(const nlohmann::json& message, size_t i) {
  const std::string where = "messages[" + std::to_string(i) + "]";
  if (!message.is_object()) {
    return invalid_request("'" + where + "' must be an object, got " + json_type_name(message), where);
  }
  FieldReader r(message, where + ".");
  ChatMessage out;
  const std::optional<std::string> role = r.string("role");
  if (!r.failed() && !role) r.fail("role", "'" + r.param("role") + "' is required");
  if (!r.failed()) {
    const std::optional<ChatRole> parsed = role_from_name(*role);
    if (!parsed) {
      r.fail("role", "'" + r.param("role") + "' must be one of system, developer, user, assistant, tool; got '" +
                         *role + "'");
    } else {
      out.role = *parsed;
    }
  }
  read_content(r, &out);
  if (auto v = r.string("name")) out.name = std::move(*v);
  if (const nlohmann::json* calls = r.array("tool_calls")) {
    for (size_t j = 0; j < calls->size(); ++j) {
      ApiResult<ToolCall> call = read_tool_call((*calls)[j], r.param("tool_calls") + "[" + std::to_string(j) + "]");
      if (!call) return call.error();
      out.tool_calls.push_back(std::move(call).value());
    }
  }
  if (auto v = r.string("tool_call_id")) out.tool_call_id = std::move(*v);
  if (auto v = r.string("reasoning_content")) out.reasoning_content = std::move(*v);
  if (r.failed()) return r.error();
  return out;
}

}  // namespace

const char* chat_role_name(ChatRole role) {
  switch (role) {
    case ChatRole::kSystem: return "system";
    case ChatRole::kDeveloper: return "developer";
    case ChatRole::kUser: return "user";
    case ChatRole::kAssistant: return "assistant";
    case ChatRole::kTool: return "tool";
  }
  return "user";
}

void read_chat_template_options(FieldReader& reader, ChatTemplateOptions* out) {
  if (const nlohmann::json* kwargs = reader.object("chat_template_kwargs")) out->kwargs = *kwargs;
  if (auto v = reader.boolean("add_generation_prompt")) out->add_generation_prompt = *v;
  if (auto v = reader.boolean("continue_final_message")) out->continue_final_message = *v;
  if (!reader.failed() && out->add_generation_prompt && out->continue_final_message) {
    reader.fail("continue_final_message",
                "'continue_final_message' and 'add_generation_prompt' cannot both be true");
  }
}

ApiResult<std::vector<ChatMessage>> parse_chat_messages(const nlohmann::json& messages) {
  if (!messages.is_array()) {
    return invalid_request("'messages' must be an array, got " + json_type_name(messages), "messages");
  }
  if (messages.empty()) return invalid_request("'messages' must not be empty", "messages");
  std::vector<ChatMessage> out;
  out.reserve(messages.size());
  for (size_t i = 0; i < messages.size(); ++i) {
    ApiResult<ChatMessage> m = read_message(messages[i], i);
    if (!m) return m.error();
    out.push_back(std::move(m).value());
  }
  return out;
}

nlohmann::json messages_for_template(const std::vector<ChatMessage>& messages) {
  nlohmann::json out = nlohmann::json::array();
  for (const ChatMessage& m : messages) {
    nlohmann::json j = {{"role", chat_role_name(m.role)}};
    j["content"] = m.content ? nlohmann::json(*m.content) : nlohmann::json(nullptr);
    if (!m.name.empty()) j["name"] = m.name;
    if (!m.tool_calls.empty()) {
      nlohmann::json calls = nlohmann::json::array();
      for (const ToolCall& c : m.tool_calls) {
        nlohmann::json args = nlohmann::json::parse(c.arguments, nullptr, /*allow_exceptions=*/false);
        if (!args.is_object()) args = c.arguments;
        calls.push_back({{"id", c.id}, {"type", "function"}, {"function", {{"name", c.name}, {"arguments", args}}}});
      }
      j["tool_calls"] = std::move(calls);
    }
    if (!m.tool_call_id.empty()) j["tool_call_id"] = m.tool_call_id;
    if (m.reasoning_content) j["reasoning_content"] = *m.reasoning_content;
    out.push_back(std::move(j));
  }
  return out;
}

}  // namespace turbine::api
