#include "api/chat_response.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

namespace turbine::api {
namespace {

using nlohmann::json;

ChatCompletion sample_completion() {
  ChatCompletion c;
  c.id = "chatcmpl-abc";
  c.created = 1700000000;
  c.model = "llama";
  c.choices.push_back({.index = 0, .content = "Hello there.", .finish_reason = FinishReason::kStop});
  c.choices.push_back({.index = 1, .content = "Hi", .finish_reason = FinishReason::kLength});
  c.usage = {.prompt_tokens = 12, .completion_tokens = 5, .cached_tokens = 8};
  return c;
}

TEST(ChatResponseTest, CompletionFieldByField) {
  const json j = json::parse(chat_completion_json(sample_completion()));
  EXPECT_EQ(j["id"], "chatcmpl-abc");
  EXPECT_EQ(j["object"], "chat.completion");
  EXPECT_EQ(j["created"], 1700000000);
  EXPECT_EQ(j["model"], "llama");
  ASSERT_EQ(j["choices"].size(), 2u);
  const json& c0 = j["choices"][0];
  EXPECT_EQ(c0["index"], 0);
  EXPECT_EQ(c0["message"]["role"], "assistant");
  EXPECT_EQ(c0["message"]["content"], "Hello there.");
  EXPECT_FALSE(c0["message"].contains("tool_calls"));
  EXPECT_FALSE(c0["message"].contains("reasoning_content"));
  EXPECT_TRUE(c0["logprobs"].is_null());
  EXPECT_EQ(c0["finish_reason"], "stop");
  EXPECT_EQ(j["choices"][1]["index"], 1);
  EXPECT_EQ(j["choices"][1]["finish_reason"], "length");
  EXPECT_EQ(j["usage"]["prompt_tokens"], 12);
  EXPECT_EQ(j["usage"]["completion_tokens"], 5);
  EXPECT_EQ(j["usage"]["total_tokens"], 17);
  EXPECT_EQ(j["usage"]["prompt_tokens_details"]["cached_tokens"], 8);
}

TEST(ChatResponseTest, CompletionExactText) {
  ChatCompletion c = sample_completion();
  c.choices.resize(1);
  EXPECT_EQ(chat_completion_json(c),
            R"({"id":"chatcmpl-abc","object":"chat.completion","created":1700000000,"model":"llama",)"
            R"("choices":[{"index":0,"message":{"role":"assistant","content":"Hello there."},"logprobs":null,)"
            R"("finish_reason":"stop"}],"usage":{"prompt_tokens":12,"completion_tokens":5,"total_tokens":17,)"
            R"("prompt_tokens_details":{"cached_tokens":8}}})");
}

TEST(ChatResponseTest, ToolCallsMakeContentNull) {
  ChatCompletion c = sample_completion();
  c.choices.resize(1);
  c.choices[0].content = "";
  c.choices[0].reasoning_content = "The user wants weather.";
  c.choices[0].tool_calls = {{"call_1", "get_weather", R"({"city":"Paris"})"}};
  c.choices[0].finish_reason = FinishReason::kToolCalls;
  const json j = json::parse(chat_completion_json(c));
  const json& m = j["choices"][0]["message"];
  EXPECT_TRUE(m["content"].is_null());
  EXPECT_EQ(m["reasoning_content"], "The user wants weather.");
  ASSERT_EQ(m["tool_calls"].size(), 1u);
  EXPECT_EQ(m["tool_calls"][0]["id"], "call_1");
  EXPECT_EQ(m["tool_calls"][0]["type"], "function");
  EXPECT_EQ(m["tool_calls"][0]["function"]["name"], "get_weather");
  EXPECT_EQ(m["tool_calls"][0]["function"]["arguments"], R"({"city":"Paris"})");
  EXPECT_EQ(j["choices"][0]["finish_reason"], "tool_calls");
}

TEST(ChatResponseTest, LogprobsIncludingInvalidUtf8) {
  ChatCompletion c = sample_completion();
  c.choices.resize(1);
  const float inf = std::numeric_limits<float>::infinity();
  c.choices[0].logprobs = std::vector<TokenLogprob>{
      {"Hello", -0.25f, {{"Hello", -0.25f}, {"Hi", -1.5f}}},
      {"\xE2\x82", -0.5f, {{"\xE2\x82", -0.5f}, {"x", -inf}}},  // half of "€"
  };
  std::string body;
  ASSERT_NO_THROW(body = chat_completion_json(c));
  const json j = json::parse(body);
  const json& content = j["choices"][0]["logprobs"]["content"];
  ASSERT_EQ(content.size(), 2u);
  EXPECT_EQ(content[0]["token"], "Hello");
  EXPECT_EQ(content[0]["logprob"], -0.25);
  EXPECT_EQ(content[0]["bytes"], json::parse("[72, 101, 108, 108, 111]"));
  ASSERT_EQ(content[0]["top_logprobs"].size(), 2u);
  EXPECT_EQ(content[0]["top_logprobs"][1]["token"], "Hi");
  EXPECT_EQ(content[0]["top_logprobs"][1]["logprob"], -1.5);
  EXPECT_EQ(content[0]["top_logprobs"][1]["bytes"], json::parse("[72, 105]"));
  EXPECT_EQ(content[1]["bytes"], json::parse("[226, 130]"));  // the raw bytes survive
  EXPECT_NE(content[1]["token"].get<std::string>().find("\xEF\xBF\xBD"), std::string::npos);  // U+FFFD
  EXPECT_EQ(content[1]["top_logprobs"][1]["logprob"], -9999.0);
}

TEST(ChatResponseTest, StreamChunks) {
  ChatCompletionChunk first{.id = "chatcmpl-s", .created = 5, .model = "m"};
  first.choices.push_back({.index = 0, .role = true, .content = ""});
  first.include_usage = true;
  json j = json::parse(chat_chunk_json(first));
  EXPECT_EQ(j["object"], "chat.completion.chunk");
  EXPECT_EQ(j["id"], "chatcmpl-s");
  EXPECT_EQ(j["created"], 5);
  EXPECT_EQ(j["choices"][0]["delta"], json::parse(R"({"role": "assistant", "content": ""})"));
  EXPECT_TRUE(j["choices"][0]["finish_reason"].is_null());
  EXPECT_TRUE(j["choices"][0]["logprobs"].is_null());
  ASSERT_TRUE(j.contains("usage"));
  EXPECT_TRUE(j["usage"].is_null());

  ChatCompletionChunk middle{.id = "chatcmpl-s", .created = 5, .model = "m"};
  middle.choices.push_back({.index = 0, .content = "Hel", .logprobs = std::vector<TokenLogprob>{{"Hel", -0.1f, {}}}});
  j = json::parse(chat_chunk_json(middle));
  EXPECT_EQ(j["choices"][0]["delta"], json::parse(R"({"content": "Hel"})"));
  EXPECT_EQ(j["choices"][0]["logprobs"]["content"][0]["token"], "Hel");
  EXPECT_FALSE(j.contains("usage"));  // include_usage off: no usage key at all

  ChatCompletionChunk last{.id = "chatcmpl-s", .created = 5, .model = "m"};
  last.choices.push_back({.index = 0, .content = "", .finish_reason = FinishReason::kLength});
  last.include_usage = true;
  j = json::parse(chat_chunk_json(last));
  EXPECT_EQ(j["choices"][0]["finish_reason"], "length");

  ChatCompletionChunk usage{.id = "chatcmpl-s", .created = 5, .model = "m"};
  usage.include_usage = true;
  usage.usage = Usage{.prompt_tokens = 3, .completion_tokens = 4};
  EXPECT_EQ(chat_chunk_json(usage),
            R"({"id":"chatcmpl-s","object":"chat.completion.chunk","created":5,"model":"m","choices":[],)"
            R"("usage":{"prompt_tokens":3,"completion_tokens":4,"total_tokens":7,)"
            R"("prompt_tokens_details":{"cached_tokens":0}}})");
}

TEST(ChatResponseTest, StreamedToolCallsAndReasoning) {
  ChatCompletionChunk c{.id = "x", .created = 1, .model = "m"};
  c.choices.push_back(
      {.index = 0, .reasoning_content = "hmm", .tool_calls = {{0, "call_9", "f", "{\"a\":"}, {1, "", "", "1}"}}});
  const json j = json::parse(chat_chunk_json(c));
  const json& delta = j["choices"][0]["delta"];
  EXPECT_FALSE(delta.contains("content"));
  EXPECT_EQ(delta["reasoning_content"], "hmm");
  EXPECT_EQ(delta["tool_calls"], json::parse(R"([
      {"index": 0, "id": "call_9", "type": "function", "function": {"name": "f", "arguments": "{\"a\":"}},
      {"index": 1, "function": {"arguments": "1}"}}])"));
}

TEST(ChatResponseTest, InvalidUtf8ContentNeverThrows) {
  ChatCompletionChunk c{.id = "x", .created = 1, .model = "m"};
  c.choices.push_back({.index = 0, .content = std::string("ok \xF0\x9F\x98", 6)});
  std::string body;
  ASSERT_NO_THROW(body = chat_chunk_json(c));
  EXPECT_NO_THROW(json::parse(body));
}

TEST(ResponseCommonTest, FinishReasonNames) {
  EXPECT_STREQ(finish_reason_name(FinishReason::kStop), "stop");
  EXPECT_STREQ(finish_reason_name(FinishReason::kLength), "length");
  EXPECT_STREQ(finish_reason_name(FinishReason::kToolCalls), "tool_calls");
  EXPECT_STREQ(finish_reason_name(FinishReason::kAbort), "abort");
}

}  // namespace
}  // namespace turbine::api
