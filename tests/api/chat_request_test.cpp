#include "api/chat_request.h"

#include <gtest/gtest.h>

#include "tests/api/api_test_util.h"

namespace turbine::api {
namespace {

using testing::kMinimalChat;
using testing::with_fields;
using testing::without;

ChatCompletionRequest parse_ok(const std::string& body) {
  ApiResult<ChatCompletionRequest> r = parse_chat_completion_request(body);
  EXPECT_TRUE(r.is_ok()) << body << " -> " << (r ? "" : r.error().message);
  return r ? std::move(r).value() : ChatCompletionRequest{};
}

ApiError parse_error(const std::string& body) {
  ApiResult<ChatCompletionRequest> r = parse_chat_completion_request(body);
  EXPECT_FALSE(r.is_ok()) << body;
  return r ? ApiError{} : r.error();
}

TEST(ChatRequestTest, Defaults) {
  const ChatCompletionRequest r = parse_ok(kMinimalChat);
  const GenerationParams& p = r.params;
  EXPECT_EQ(p.model, "m");
  EXPECT_FALSE(p.max_tokens.has_value());
  EXPECT_EQ(p.min_tokens, 0);
  EXPECT_TRUE(p.stop.empty());
  EXPECT_TRUE(p.stop_token_ids.empty());
  EXPECT_EQ(p.n, 1);
  EXPECT_FALSE(p.seed.has_value());
  EXPECT_FALSE(p.temperature.has_value());
  EXPECT_FALSE(p.top_p.has_value());
  EXPECT_FALSE(p.top_k.has_value());
  EXPECT_FALSE(p.min_p.has_value());
  EXPECT_FALSE(p.repetition_penalty.has_value());
  EXPECT_EQ(p.presence_penalty, 0.0f);
  EXPECT_EQ(p.frequency_penalty, 0.0f);
  EXPECT_FALSE(p.stream);
  EXPECT_FALSE(p.stream_options.include_usage);
  EXPECT_EQ(p.priority, 0);
  EXPECT_FALSE(p.ignore_eos);
  EXPECT_TRUE(p.skip_special_tokens);
  EXPECT_FALSE(p.include_stop_str_in_output);
  ASSERT_EQ(r.messages.size(), 1u);
  EXPECT_EQ(r.messages[0].role, ChatRole::kUser);
  EXPECT_EQ(r.messages[0].content, "hi");
  EXPECT_EQ(r.template_messages, nlohmann::json::parse(R"([{"role":"user","content":"hi"}])"));
  EXPECT_TRUE(r.tools.empty());
  EXPECT_TRUE(r.template_tools.is_null());
  EXPECT_EQ(r.tool_choice, "none");
  EXPECT_FALSE(r.logprobs);
  EXPECT_EQ(r.top_logprobs, 0);
  EXPECT_EQ(r.template_options.kwargs, nlohmann::json::object());
  EXPECT_TRUE(r.template_options.add_generation_prompt);
  EXPECT_FALSE(r.template_options.continue_final_message);
  EXPECT_FALSE(r.add_special_tokens);
}

TEST(ChatRequestTest, EveryFieldSet) {
  const ChatCompletionRequest r = parse_ok(with_fields(kMinimalChat, R"({
      "max_tokens": 100, "min_tokens": 3, "stop": ["\n\n", "END"], "stop_token_ids": [7, 9], "n": 2,
      "seed": -42, "temperature": 0.7, "top_p": 0.9, "top_k": 40, "min_p": 0.05, "repetition_penalty": 1.1,
      "presence_penalty": -0.5, "frequency_penalty": 1.5, "stream": true,
      "stream_options": {"include_usage": true, "continuous_usage_stats": true}, "priority": -3,
      "ignore_eos": true, "skip_special_tokens": false, "include_stop_str_in_output": true,
      "logprobs": true, "top_logprobs": 5, "chat_template_kwargs": {"enable_thinking": false},
      "add_generation_prompt": false, "continue_final_message": true, "add_special_tokens": true,
      "response_format": {"type": "text"}})"));
  const GenerationParams& p = r.params;
  EXPECT_EQ(p.max_tokens, 100);
  EXPECT_EQ(p.min_tokens, 3);
  EXPECT_EQ(p.stop, (std::vector<std::string>{"\n\n", "END"}));
  EXPECT_EQ(p.stop_token_ids, (std::vector<int32_t>{7, 9}));
  EXPECT_EQ(p.n, 2);
  EXPECT_EQ(p.seed, -42);
  EXPECT_FLOAT_EQ(*p.temperature, 0.7f);
  EXPECT_FLOAT_EQ(*p.top_p, 0.9f);
  EXPECT_EQ(p.top_k, 40);
  EXPECT_FLOAT_EQ(*p.min_p, 0.05f);
  EXPECT_FLOAT_EQ(*p.repetition_penalty, 1.1f);
  EXPECT_FLOAT_EQ(p.presence_penalty, -0.5f);
  EXPECT_FLOAT_EQ(p.frequency_penalty, 1.5f);
  EXPECT_TRUE(p.stream);
  EXPECT_TRUE(p.stream_options.include_usage);
  EXPECT_TRUE(p.stream_options.continuous_usage_stats);
  EXPECT_EQ(p.priority, -3);
  EXPECT_TRUE(p.ignore_eos);
  EXPECT_FALSE(p.skip_special_tokens);
  EXPECT_TRUE(p.include_stop_str_in_output);
  EXPECT_TRUE(r.logprobs);
  EXPECT_EQ(r.top_logprobs, 5);
  EXPECT_EQ(r.template_options.kwargs, nlohmann::json::parse(R"({"enable_thinking": false})"));
  EXPECT_FALSE(r.template_options.add_generation_prompt);
  EXPECT_TRUE(r.template_options.continue_final_message);
  EXPECT_TRUE(r.add_special_tokens);
}

TEST(ChatRequestTest, BothSpellingsOfMaxTokens) {
  EXPECT_EQ(parse_ok(with_fields(kMinimalChat, R"({"max_tokens": 7})")).params.max_tokens, 7);
  EXPECT_EQ(parse_ok(with_fields(kMinimalChat, R"({"max_completion_tokens": 9})")).params.max_tokens, 9);
  EXPECT_EQ(parse_ok(with_fields(kMinimalChat, R"({"max_tokens": 7, "max_completion_tokens": 9})")).params.max_tokens,
            9);
  EXPECT_FALSE(parse_ok(with_fields(kMinimalChat, R"({"max_tokens": null})")).params.max_tokens.has_value());
  EXPECT_EQ(parse_ok(with_fields(kMinimalChat, R"({"max_tokens": 12.0})")).params.max_tokens, 12);
}

TEST(ChatRequestTest, StopStringOrArray) {
  EXPECT_EQ(parse_ok(with_fields(kMinimalChat, R"({"stop": "###"})")).params.stop, std::vector<std::string>{"###"});
  EXPECT_EQ(parse_ok(with_fields(kMinimalChat, R"({"stop": ["a", "b", "c", "d"]})")).params.stop.size(), 4u);
  EXPECT_TRUE(parse_ok(with_fields(kMinimalChat, R"({"stop": null})")).params.stop.empty());
  EXPECT_TRUE(parse_ok(with_fields(kMinimalChat, R"({"stop": []})")).params.stop.empty());
}

TEST(ChatRequestTest, NullMeansUnsetAndUnknownFieldsAreIgnored) {
  const ChatCompletionRequest r = parse_ok(with_fields(kMinimalChat, R"({
      "seed": null, "temperature": null, "n": null, "stream": null, "stream_options": null, "top_logprobs": null,
      "user": "u-123", "parallel_tool_calls": false, "store": true, "metadata": {"k": "v"}, "echo": true,
      "logit_bias": {}, "service_tier": "auto", "some_future_field": [1, 2]})"));
  EXPECT_FALSE(r.params.seed.has_value());
  EXPECT_FALSE(r.params.temperature.has_value());
  EXPECT_EQ(r.params.n, 1);
  EXPECT_FALSE(r.params.stream);
}

TEST(ChatRequestTest, ExtremeButValidValues) {
  const ChatCompletionRequest r = parse_ok(with_fields(kMinimalChat, R"({
      "seed": 9223372036854775807, "temperature": 0, "top_p": 1, "top_k": -1, "min_p": 1, "n": 128,
      "presence_penalty": -2, "frequency_penalty": 2, "repetition_penalty": 0.01, "priority": 2147483647,
      "max_tokens": 2147483647})"));
  EXPECT_EQ(r.params.seed, INT64_MAX);
  EXPECT_EQ(r.params.temperature, 0.0f);
  EXPECT_EQ(r.params.top_k, -1);
  EXPECT_EQ(r.params.n, 128);
  EXPECT_EQ(parse_ok(with_fields(kMinimalChat, R"({"top_k": 0})")).params.top_k, 0);
  EXPECT_EQ(parse_ok(with_fields(kMinimalChat, R"({"seed": -9223372036854775808})")).params.seed, INT64_MIN);
}

TEST(ChatRequestTest, MessagesAreTypedAndRebuiltForTheTemplate) {
  const ChatCompletionRequest r = parse_ok(R"({"model": "m", "messages": [
      {"role": "system", "content": "Be brief."},
      {"role": "developer", "content": [{"type": "text", "text": "a"}, {"type": "text", "text": "b"}]},
      {"role": "user", "content": "Weather?", "name": "bob"},
      {"role": "assistant", "content": null, "reasoning_content": "think",
       "tool_calls": [{"id": "call_1", "type": "function",
                       "function": {"name": "get_weather", "arguments": "{\"city\": \"Paris\"}"}},
                      {"id": "call_2", "type": "function", "function": {"name": "raw", "arguments": "not json"}}]},
      {"role": "tool", "content": "18C", "tool_call_id": "call_1"},
      {"role": "assistant", "content": "It is 18C.", "unknown_field": 1}]})");
  ASSERT_EQ(r.messages.size(), 6u);
  EXPECT_EQ(r.messages[0].role, ChatRole::kSystem);
  EXPECT_EQ(r.messages[1].role, ChatRole::kDeveloper);
  EXPECT_EQ(r.messages[1].content, "a\nb");
  EXPECT_EQ(r.messages[2].name, "bob");
  EXPECT_FALSE(r.messages[3].content.has_value());
  ASSERT_EQ(r.messages[3].tool_calls.size(), 2u);
  EXPECT_EQ(r.messages[3].tool_calls[0].id, "call_1");
  EXPECT_EQ(r.messages[3].tool_calls[0].name, "get_weather");
  EXPECT_EQ(r.messages[3].tool_calls[0].arguments, "{\"city\": \"Paris\"}");
  EXPECT_EQ(r.messages[3].reasoning_content, "think");
  EXPECT_EQ(r.messages[4].role, ChatRole::kTool);
  EXPECT_EQ(r.messages[4].tool_call_id, "call_1");

  EXPECT_EQ(r.template_messages, nlohmann::json::parse(R"([
      {"role": "system", "content": "Be brief."},
      {"role": "developer", "content": "a\nb"},
      {"role": "user", "content": "Weather?", "name": "bob"},
      {"role": "assistant", "content": null, "reasoning_content": "think",
       "tool_calls": [{"id": "call_1", "type": "function",
                       "function": {"name": "get_weather", "arguments": {"city": "Paris"}}},
                      {"id": "call_2", "type": "function", "function": {"name": "raw", "arguments": "not json"}}]},
      {"role": "tool", "content": "18C", "tool_call_id": "call_1"},
      {"role": "assistant", "content": "It is 18C."}])"));
}

TEST(ChatRequestTest, ToolCallArgumentsMayBeAnObject) {
  const ChatCompletionRequest r = parse_ok(R"({"model": "m", "messages": [{"role": "assistant",
      "tool_calls": [{"id": "c", "type": "function", "function": {"name": "f", "arguments": {"x": 1}}}]}]})");
  EXPECT_EQ(r.messages[0].tool_calls[0].arguments, R"({"x":1})");
}

TEST(ChatRequestTest, ToolsAndToolChoice) {
  const std::string tools = R"({"tools": [{"type": "function", "function": {"name": "get_weather",
      "description": "Current weather", "parameters": {"type": "object", "properties": {"city": {"type": "string"}}}}},
      {"type": "function", "function": {"name": "noop"}}]})";
  const ChatCompletionRequest r = parse_ok(with_fields(kMinimalChat, tools));
  ASSERT_EQ(r.tools.size(), 2u);
  EXPECT_EQ(r.tools[0].name, "get_weather");
  EXPECT_EQ(r.tools[0].description, "Current weather");
  EXPECT_EQ(r.tools[0].parameters["type"], "object");
  EXPECT_TRUE(r.tools[1].parameters.is_null());
  EXPECT_EQ(r.tool_choice, "auto");
  EXPECT_EQ(r.template_tools, nlohmann::json::parse(R"([{"type": "function", "function": {"name": "get_weather",
      "description": "Current weather", "parameters": {"type": "object", "properties": {"city": {"type": "string"}}}}},
      {"type": "function", "function": {"name": "noop"}}])"));

  const std::string with_tools = with_fields(kMinimalChat, tools);
  EXPECT_EQ(parse_ok(with_fields(with_tools, R"({"tool_choice": "required"})")).tool_choice, "required");
  EXPECT_EQ(parse_ok(with_fields(with_tools, R"({"tool_choice": "none"})")).tool_choice, "none");
  const nlohmann::json named = nlohmann::json::parse(R"({"type": "function", "function": {"name": "noop"}})");
  EXPECT_EQ(parse_ok(with_fields(with_tools, R"({"tool_choice": {"type": "function", "function": {"name": "noop"}}})"))
                .tool_choice,
            named);
  EXPECT_EQ(parse_ok(with_fields(kMinimalChat, R"({"tool_choice": "auto"})")).tool_choice, "auto");
}

TEST(ChatRequestTest, MalformedJson) {
  for (const char* body : {"", "{", "{\"model\": \"m\",}", "not json", "{\"model\": \"m\"} trailing", "\"\xFF\"",
                           R"({"model": "m", "messages": [], "temperature": 1e400})"}) {  // overflows a double
    const ApiError e = parse_error(body);
    EXPECT_EQ(e.status, 400) << body;
    EXPECT_EQ(e.type, "invalid_request_error");
    EXPECT_EQ(e.param, "") << body;
    EXPECT_NE(e.message.find("not valid JSON"), std::string::npos) << e.message;
  }
  for (const char* body : {"[1, 2]", "5", "\"text\"", "null"}) {
    const ApiError e = parse_error(body);
    EXPECT_NE(e.message.find("must be a JSON object"), std::string::npos) << e.message;
  }
}

struct BadCase {
  const char* fields;  // set on top of the minimal request
  const char* param;   // the field the error must name
};

class ChatBadFieldTest : public ::testing::TestWithParam<BadCase> {};

TEST_P(ChatBadFieldTest, NamesTheParam) {
  const ApiError e = parse_error(with_fields(kMinimalChat, GetParam().fields));
  EXPECT_EQ(e.status, 400);
  EXPECT_EQ(e.type, "invalid_request_error");
  EXPECT_EQ(e.param, GetParam().param) << GetParam().fields << " -> " << e.message;
  EXPECT_FALSE(e.message.empty());
}

INSTANTIATE_TEST_SUITE_P(
    WrongTypesAndRanges, ChatBadFieldTest,
    ::testing::Values(
        BadCase{R"({"model": 5})", "model"}, BadCase{R"({"model": ""})", "model"},
        BadCase{R"({"model": null})", "model"},
        BadCase{R"({"max_tokens": 0})", "max_tokens"}, BadCase{R"({"max_tokens": -1})", "max_tokens"},
        BadCase{R"({"max_tokens": "5"})", "max_tokens"}, BadCase{R"({"max_tokens": 1.5})", "max_tokens"},
        BadCase{R"({"max_tokens": true})", "max_tokens"}, BadCase{R"({"max_tokens": 2147483648})", "max_tokens"},
        BadCase{R"({"max_completion_tokens": 0})", "max_completion_tokens"},
        BadCase{R"({"min_tokens": -1})", "min_tokens"}, BadCase{R"({"min_tokens": 9, "max_tokens": 5})", "min_tokens"},
        BadCase{R"({"stop": 5})", "stop"}, BadCase{R"({"stop": ""})", "stop"}, BadCase{R"({"stop": [1]})", "stop"},
        BadCase{R"({"stop": [""]})", "stop"}, BadCase{R"({"stop": ["a", "b", "c", "d", "e"]})", "stop"},
        BadCase{R"({"stop": {"a": 1}})", "stop"},
        BadCase{R"({"stop_token_ids": [-1]})", "stop_token_ids"}, BadCase{R"({"stop_token_ids": 3})", "stop_token_ids"},
        BadCase{R"({"n": 0})", "n"}, BadCase{R"({"n": 129})", "n"}, BadCase{R"({"n": "2"})", "n"},
        BadCase{R"({"seed": "1"})", "seed"}, BadCase{R"({"seed": 1.5})", "seed"},
        BadCase{R"({"seed": 18446744073709551615})", "seed"},
        BadCase{R"({"temperature": -0.1})", "temperature"}, BadCase{R"({"temperature": 2.1})", "temperature"},
        BadCase{R"({"temperature": "1"})", "temperature"},
        BadCase{R"({"top_p": 0})", "top_p"}, BadCase{R"({"top_p": 1.1})", "top_p"},
        BadCase{R"({"top_p": -1})", "top_p"}, BadCase{R"({"top_k": -2})", "top_k"},
        BadCase{R"({"top_k": 1.5})", "top_k"}, BadCase{R"({"top_k": "x"})", "top_k"},
        BadCase{R"({"min_p": -0.1})", "min_p"}, BadCase{R"({"min_p": 1.01})", "min_p"},
        BadCase{R"({"presence_penalty": 2.5})", "presence_penalty"},
        BadCase{R"({"presence_penalty": -3})", "presence_penalty"},
        BadCase{R"({"frequency_penalty": "0"})", "frequency_penalty"},
        BadCase{R"({"frequency_penalty": -2.1})", "frequency_penalty"},
        BadCase{R"({"repetition_penalty": 0})", "repetition_penalty"},
        BadCase{R"({"repetition_penalty": -1})", "repetition_penalty"},
        BadCase{R"({"stream": "yes"})", "stream"}, BadCase{R"({"stream": 1})", "stream"},
        BadCase{R"({"stream_options": {"include_usage": true}})", "stream_options"},
        BadCase{R"({"stream": true, "stream_options": 5})", "stream_options"},
        BadCase{R"({"stream": true, "stream_options": {"include_usage": "x"}})", "stream_options.include_usage"},
        BadCase{R"({"priority": 1.5})", "priority"}, BadCase{R"({"priority": "1"})", "priority"},
        BadCase{R"({"ignore_eos": "no"})", "ignore_eos"},
        BadCase{R"({"skip_special_tokens": 0})", "skip_special_tokens"},
        BadCase{R"({"logit_bias": {"50256": -100}})", "logit_bias"}, BadCase{R"({"logit_bias": 5})", "logit_bias"},
        BadCase{R"({"logprobs": "yes"})", "logprobs"}, BadCase{R"({"top_logprobs": 2})", "top_logprobs"},
        BadCase{R"({"logprobs": true, "top_logprobs": 21})", "top_logprobs"},
        BadCase{R"({"logprobs": true, "top_logprobs": -1})", "top_logprobs"},
        BadCase{R"({"response_format": {"type": "json_object"}})", "response_format"},
        BadCase{R"({"response_format": {"type": "json_schema", "json_schema": {"name": "x"}}})", "response_format"},
        BadCase{R"({"response_format": {"type": "xml"}})", "response_format"},
        BadCase{R"({"response_format": "text"})", "response_format"},
        BadCase{R"({"response_format": {}})", "response_format.type"},
        BadCase{R"({"chat_template_kwargs": 5})", "chat_template_kwargs"},
        BadCase{R"({"add_generation_prompt": "no"})", "add_generation_prompt"},
        BadCase{R"({"continue_final_message": true})", "continue_final_message"},
        BadCase{R"({"add_special_tokens": "x"})", "add_special_tokens"},
        // messages
        BadCase{R"({"messages": null})", "messages"}, BadCase{R"({"messages": []})", "messages"},
        BadCase{R"({"messages": "hi"})", "messages"}, BadCase{R"({"messages": [5]})", "messages[0]"},
        BadCase{R"({"messages": [{"content": "x"}]})", "messages[0].role"},
        BadCase{R"({"messages": [{"role": 1, "content": "x"}]})", "messages[0].role"},
        BadCase{R"({"messages": [{"role": "wizard", "content": "x"}]})", "messages[0].role"},
        BadCase{R"({"messages": [{"role": "user", "content": "x"}, {"role": "user"}]})", "messages[1].content"},
        BadCase{R"({"messages": [{"role": "user", "content": null}]})", "messages[0].content"},
        BadCase{R"({"messages": [{"role": "user", "content": 5}]})", "messages[0].content"},
        BadCase{R"({"messages": [{"role": "user", "content": [5]}]})", "messages[0].content[0]"},
        BadCase{R"({"messages": [{"role": "user", "content": [{"type": "image_url",
                    "image_url": {"url": "http://x/y.png"}}]}]})", "messages[0].content[0].type"},
        BadCase{R"({"messages": [{"role": "user", "content": [{"type": "text", "text": "a"},
                    {"type": "input_audio"}]}]})", "messages[0].content[1].type"},
        BadCase{R"({"messages": [{"role": "user", "content": [{"text": "a"}]}]})", "messages[0].content[0].type"},
        BadCase{R"({"messages": [{"role": "user", "content": [{"type": "text"}]}]})", "messages[0].content[0].text"},
        BadCase{R"({"messages": [{"role": "user", "content": [{"type": "text", "text": 3}]}]})",
                "messages[0].content[0].text"},
        BadCase{R"({"messages": [{"role": "user", "content": "x", "name": 5}]})", "messages[0].name"},
        BadCase{R"({"messages": [{"role": "assistant", "tool_calls": "x"}]})", "messages[0].tool_calls"},
        BadCase{R"({"messages": [{"role": "assistant", "tool_calls": [5]}]})", "messages[0].tool_calls[0]"},
        BadCase{R"({"messages": [{"role": "assistant", "tool_calls": [{"id": "c", "type": "web",
                    "function": {"name": "f", "arguments": "{}"}}]}]})", "messages[0].tool_calls[0].type"},
        BadCase{R"({"messages": [{"role": "assistant", "tool_calls": [{"id": "c", "type": "function"}]}]})",
                "messages[0].tool_calls[0].function"},
        BadCase{R"({"messages": [{"role": "assistant", "tool_calls": [{"id": "c", "type": "function",
                    "function": {"arguments": "{}"}}]}]})", "messages[0].tool_calls[0].function.name"},
        BadCase{R"({"messages": [{"role": "assistant", "tool_calls": [{"id": "c", "type": "function",
                    "function": {"name": "f", "arguments": 5}}]}]})", "messages[0].tool_calls[0].function.arguments"},
        BadCase{R"({"messages": [{"role": "assistant", "tool_calls": [{"id": 5, "type": "function",
                    "function": {"name": "f", "arguments": "{}"}}]}]})", "messages[0].tool_calls[0].id"},
        BadCase{R"({"messages": [{"role": "tool", "content": "x", "tool_call_id": 5}]})", "messages[0].tool_call_id"},
        BadCase{R"({"messages": [{"role": "assistant", "content": "x", "reasoning_content": 5}]})",
                "messages[0].reasoning_content"},
        // tools
        BadCase{R"({"tools": "x"})", "tools"}, BadCase{R"({"tools": [5]})", "tools[0]"},
        BadCase{R"({"tools": [{"type": "function"}]})", "tools[0].function"},
        BadCase{R"({"tools": [{"type": "function", "function": {}}]})", "tools[0].function.name"},
        BadCase{R"({"tools": [{"type": "retrieval", "function": {"name": "f"}}]})", "tools[0].type"},
        BadCase{R"({"tools": [{"function": {"name": "f"}}]})", "tools[0].type"},
        BadCase{R"({"tools": [{"type": "function", "function": {"name": "f", "parameters": "x"}}]})",
                "tools[0].function.parameters"},
        BadCase{R"({"tools": [{"type": "function", "function": {"name": "f", "description": 1}}]})",
                "tools[0].function.description"},
        BadCase{R"({"tool_choice": "sometimes"})", "tool_choice"},
        BadCase{R"({"tool_choice": "required"})", "tool_choice"},
        BadCase{R"({"tool_choice": 5})", "tool_choice"},
        BadCase{R"({"tools": [{"type": "function", "function": {"name": "f"}}],
                    "tool_choice": {"type": "function", "function": {"name": "g"}}})", "tool_choice.function.name"},
        BadCase{R"({"tool_choice": {"type": "function", "function": {"name": "g"}}})", "tool_choice.function.name"},
        BadCase{R"({"tools": [{"type": "function", "function": {"name": "f"}}],
                    "tool_choice": {"type": "function"}})", "tool_choice.function"},
        BadCase{R"({"tools": [{"type": "function", "function": {"name": "f"}}],
                    "tool_choice": {"type": "x", "function": {"name": "f"}}})", "tool_choice.type"}));

TEST(ChatRequestTest, MissingMessages) {
  EXPECT_EQ(parse_error(without(kMinimalChat, "messages")).param, "messages");
  EXPECT_EQ(parse_error(without(kMinimalChat, "model")).param, "model");
}

TEST(ChatRequestTest, MessagesSayWhatWasWrong) {
  EXPECT_EQ(parse_error(with_fields(kMinimalChat, R"({"temperature": 3})")).message,
            "'temperature' must be a number in [0, 2], got 3");
  EXPECT_EQ(parse_error(with_fields(kMinimalChat, R"({"n": "2"})")).message, "'n' must be an integer, got string");
  EXPECT_EQ(parse_error(with_fields(kMinimalChat, R"({"top_p": 0})")).message,
            "'top_p' must be a number in (0, 1], got 0");
  const ApiError unsupported =
      parse_error(with_fields(kMinimalChat, R"({"response_format": {"type": "json_object"}})"));
  EXPECT_NE(unsupported.message.find("not supported yet"), std::string::npos) << unsupported.message;
  const ApiError image = parse_error(with_fields(
      kMinimalChat, R"({"messages": [{"role": "user", "content": [{"type": "image_url", "image_url": {}}]}]})"));
  EXPECT_NE(image.message.find("'image_url' is not supported yet"), std::string::npos) << image.message;
}

}  // namespace
}  // namespace turbine::api
