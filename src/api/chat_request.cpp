#include "api/chat_request.h"

namespace turbine::api {
namespace {

// {"type":"text"} is plain generation; structured output is not implemented yet.
void read_response_format(FieldReader& reader) {
  const nlohmann::json* format = reader.object("response_format");
  if (!format) return;
  FieldReader r(*format, "response_format.");
  const std::optional<std::string> type = r.string("type");
  if (!r.failed() && !type) r.fail("type", "'response_format.type' is required");
  if (r.failed()) return reader.fail(r.error());
  if (*type == "json_object" || *type == "json_schema") {
    reader.fail("response_format", "response_format type '" + *type + "' is not supported yet");
  } else if (*type != "text") {
    reader.fail("response_format", "'response_format.type' must be 'text', 'json_object' or 'json_schema', got '" +
                                        *type + "'");
  }
}

void read_logprobs(FieldReader& reader, ChatCompletionRequest* out) {
  if (auto v = reader.boolean("logprobs")) out->logprobs = *v;
  const std::optional<int64_t> top = reader.integer("top_logprobs", 0, 20);
  if (top && !out->logprobs) {
    reader.fail("top_logprobs", "'top_logprobs' needs 'logprobs' set to true");
  } else if (top) {
    out->top_logprobs = int32_t(*top);
  }
}

}  // namespace

ApiResult<ChatCompletionRequest> parse_chat_completion_request(std::string_view body) {
  ApiResult<nlohmann::json> json = parse_request_body(body);
  if (!json) return json.error();
  FieldReader reader(*json);
  ChatCompletionRequest out;
  read_generation_params(reader, &out.params);
  if (reader.failed()) return reader.error();

  const nlohmann::json* messages = reader.value("messages");
  if (!messages) return invalid_request("'messages' is required", "messages");
  ApiResult<std::vector<ChatMessage>> parsed = parse_chat_messages(*messages);
  if (!parsed) return parsed.error();
  out.messages = std::move(parsed).value();
  out.template_messages = messages_for_template(out.messages);

  read_tools(reader, &out.tools, &out.tool_choice);
  out.template_tools = tools_for_template(out.tools);
  read_logprobs(reader, &out);
  read_response_format(reader);
  read_chat_template_options(reader, &out.template_options);
  if (auto v = reader.boolean("add_special_tokens")) out.add_special_tokens = *v;
  if (reader.failed()) return reader.error();
  return out;
}

}  // namespace turbine::api
