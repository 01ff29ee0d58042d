#include "api/tokenize.h"

#include <limits>

#include "api/field_reader.h"
#include "api/json_dump.h"

namespace turbine::api {
namespace {

void read_chat_form(FieldReader& reader, const nlohmann::json& messages, TokenizeRequest* out) {
  ApiResult<std::vector<ChatMessage>> parsed = parse_chat_messages(messages);
  if (!parsed) return reader.fail(parsed.error());
  out->is_chat = true;
  out->messages = std::move(parsed).value();
  out->template_messages = messages_for_template(out->messages);
  out->add_special_tokens = false;
  nlohmann::json tool_choice;  // tokenize has no tool_choice; read_tools fills a default
  read_tools(reader, &out->tools, &tool_choice);
  out->template_tools = tools_for_template(out->tools);
  read_chat_template_options(reader, &out->template_options);
}

}  // namespace

ApiResult<TokenizeRequest> parse_tokenize_request(std::string_view body) {
  ApiResult<nlohmann::json> json = parse_request_body(body);
  if (!json) return json.error();
  FieldReader reader(*json);
  TokenizeRequest out;
  if (auto v = reader.string("model")) out.model = std::move(*v);
  const nlohmann::json* messages = reader.value("messages");
  if (!reader.failed() && messages && reader.value("prompt")) {
    return invalid_request("Give either 'prompt' or 'messages', not both", "messages");
  }
  if (messages) {
    read_chat_form(reader, *messages, &out);
  } else if (auto prompt = reader.string("prompt")) {
    out.prompt = std::move(*prompt);
  } else if (!reader.failed()) {
    return invalid_request("'prompt' or 'messages' is required", "prompt");
  }
  if (auto v = reader.boolean("add_special_tokens")) out.add_special_tokens = *v;
  if (auto v = reader.boolean("return_token_strs")) out.return_token_strs = *v;
  if (reader.failed()) return reader.error();
  return out;
}

std::string tokenize_response_json(const std::vector<int32_t>& tokens, int64_t max_model_len,
                                   const std::vector<std::string>* token_strs) {
  nlohmann::ordered_json out = {{"count", tokens.size()}, {"max_model_len", max_model_len}, {"tokens", tokens}};
  out["token_strs"] = token_strs ? nlohmann::ordered_json(*token_strs) : nlohmann::ordered_json();
  return dump_json(out);
}

ApiResult<DetokenizeRequest> parse_detokenize_request(std::string_view body) {
  ApiResult<nlohmann::json> json = parse_request_body(body);
  if (!json) return json.error();
  FieldReader reader(*json);
  DetokenizeRequest out;
  if (auto v = reader.string("model")) out.model = std::move(*v);
  const nlohmann::json* tokens = reader.array("tokens");
  if (reader.failed()) return reader.error();
  if (!tokens) return invalid_request("'tokens' is required", "tokens");
  out.tokens.reserve(tokens->size());
  for (const nlohmann::json& id : *tokens) {
    const std::optional<int64_t> v = json_integer(id);
    if (!v || *v < 0 || *v > std::numeric_limits<int32_t>::max()) {
      return invalid_request("'tokens' must hold token ids (integers in [0, 2147483647]), got " +
                                 (id.is_number() ? id.dump() : json_type_name(id)),
                             "tokens");
    }
    out.tokens.push_back(int32_t(*v));
  }
  return out;
}

std::string detokenize_response_json(const std::string& prompt) {
  return dump_json(nlohmann::ordered_json{{"prompt", prompt}});
}

}  // namespace turbine::api
