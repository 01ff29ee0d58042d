#include "loadgen/openai_stream.h"

namespace turbine::loadgen {

namespace {

using nlohmann::json;

std::string joined_prompt(const SessionPlan& session, size_t turn,
                          const std::vector<std::string>& replies) {
  std::string prompt = session.system_prompt;
  for (size_t t = 0; t <= turn; ++t) {
    if (!prompt.empty()) prompt += "\n\n";
    prompt += session.turns[t].user_text;
    if (t < turn) {
      prompt += "\n\n";
      prompt += replies[t];
    }
  }
  return prompt;
}

json chat_messages(const SessionPlan& session, size_t turn, const std::vector<std::string>& replies) {
  if (!session.turns[turn].messages.is_null()) return session.turns[turn].messages;
  json messages = json::array();
  if (!session.system_prompt.empty())
    messages.push_back({{"role", "system"}, {"content", session.system_prompt}});
  for (size_t t = 0; t <= turn; ++t) {
    messages.push_back({{"role", "user"}, {"content", session.turns[t].user_text}});
    if (t < turn) messages.push_back({{"role", "assistant"}, {"content", replies[t]}});
  }
  return messages;
}

// A JSONL chat entry sent to the completions endpoint: its message contents, joined.
std::string prompt_of_messages(const json& messages) {
  std::string prompt;
  for (const auto& m : messages) {
    if (m.contains("content") && m["content"].is_string()) {
      if (!prompt.empty()) prompt += "\n\n";
      prompt += m["content"].get<std::string>();
    }
  }
  return prompt;
}

}  // namespace

std::string prompt_text(const SessionPlan& session, size_t turn,
                        const std::vector<std::string>& replies) {
  const json& messages = session.turns[turn].messages;
  return messages.is_null() ? joined_prompt(session, turn, replies) : prompt_of_messages(messages);
}

std::string build_request_body(const RequestShape& shape, const SessionPlan& session, size_t turn,
                               const std::vector<std::string>& replies) {
  const TurnPlan& plan = session.turns[turn];
  json body = {{"model", shape.model}, {"stream", true},
               {"stream_options", {{"include_usage", true}}}};
  if (shape.endpoint == Endpoint::kChat) {
    body["messages"] = chat_messages(session, turn, replies);
  } else {
    body["prompt"] = plan.messages.is_null() ? joined_prompt(session, turn, replies)
                                             : prompt_of_messages(plan.messages);
  }
  if (plan.max_tokens > 0) {
    body["max_tokens"] = plan.max_tokens;
    if (shape.exact_output_len) {
      body["min_tokens"] = plan.max_tokens;
      body["ignore_eos"] = true;
    }
  }
  for (const auto& [key, value] : shape.extra_body.items()) body[key] = value;
  return body.dump(-1, ' ', false, json::error_handler_t::replace);
}

Result<StreamChunk> parse_stream_chunk(std::string_view data) {
  StreamChunk chunk;
  if (data == "[DONE]") {
    chunk.done = true;
    return chunk;
  }
  json j = json::parse(data, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) return invalid_argument("an event that is not a JSON object");
  if (auto e = j.find("error"); e != j.end()) {
    chunk.error = e->is_object() && e->contains("message") && (*e)["message"].is_string()
                      ? (*e)["message"].get<std::string>()
                      : e->dump();
    return chunk;
  }
  if (auto choices = j.find("choices"); choices != j.end() && choices->is_array()) {
    for (const auto& choice : *choices) {
      if (!choice.is_object()) continue;
      auto add_text = [&](const json& owner, const char* key, bool is_content) {
        auto it = owner.find(key);
        if (it != owner.end() && it->is_string() && !it->get_ref<const std::string&>().empty()) {
          chunk.text += it->get_ref<const std::string&>();
          if (is_content) chunk.content += it->get_ref<const std::string&>();
          chunk.has_token = true;
        }
      };
      if (auto delta = choice.find("delta"); delta != choice.end() && delta->is_object()) {
        add_text(*delta, "content", true);
        add_text(*delta, "reasoning_content", false);
        add_text(*delta, "reasoning", false);
        if (auto calls = delta->find("tool_calls"); calls != delta->end() && calls->is_array() && !calls->empty())
          chunk.has_token = true;
      } else {
        add_text(choice, "text", true);
      }
    }
  }
  if (auto usage = j.find("usage"); usage != j.end() && usage->is_object()) {
    auto read = [&](const char* key) -> std::optional<int64_t> {
      auto it = usage->find(key);
      if (it == usage->end() || !it->is_number_integer()) return std::nullopt;
      return it->get<int64_t>();
    };
    chunk.prompt_tokens = read("prompt_tokens");
    chunk.completion_tokens = read("completion_tokens");
  }
  return chunk;
}

std::string error_message_of(std::string_view body) {
  json j = json::parse(body, nullptr, false);
  if (!j.is_discarded() && j.is_object() && j.contains("error")) {
    const auto& e = j["error"];
    if (e.is_object() && e.contains("message") && e["message"].is_string()) return e["message"].get<std::string>();
    if (e.is_string()) return e.get<std::string>();
  }
  std::string s(body.substr(0, 200));
  for (char& c : s) {
    if (c == '\n' || c == '\r') c = ' ';
  }
  return s;
}

}  // namespace turbine::loadgen
