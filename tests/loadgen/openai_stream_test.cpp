// Request bodies (history, exact output lengths, extra fields) and stream events as OpenAI
// servers send them.
#include "loadgen/openai_stream.h"

#include <gtest/gtest.h>

namespace turbine::loadgen {
namespace {

using nlohmann::json;

SessionPlan three_turns() {
  SessionPlan s;
  s.system_prompt = "You are terse.";
  for (const char* text : {"first question", "second question", "third question"}) {
    TurnPlan t;
    t.user_text = text;
    t.max_tokens = 32;
    s.turns.push_back(t);
  }
  return s;
}

TEST(RequestBody, ChatCarriesTheHistoryAndAsksForExactLength) {
  RequestShape shape{.model = "m"};
  json body = json::parse(build_request_body(shape, three_turns(), 2, {"answer one", "answer two"}));
  EXPECT_EQ(body["model"], "m");
  EXPECT_EQ(body["stream"], true);
  EXPECT_EQ(body["stream_options"]["include_usage"], true);
  EXPECT_EQ(body["max_tokens"], 32);
  EXPECT_EQ(body["min_tokens"], 32);
  EXPECT_EQ(body["ignore_eos"], true);
  json expected = json::array({{{"role", "system"}, {"content", "You are terse."}},
                               {{"role", "user"}, {"content", "first question"}},
                               {{"role", "assistant"}, {"content", "answer one"}},
                               {{"role", "user"}, {"content", "second question"}},
                               {{"role", "assistant"}, {"content", "answer two"}},
                               {{"role", "user"}, {"content", "third question"}}});
  EXPECT_EQ(body["messages"], expected);
}

TEST(RequestBody, CompletionsJoinTheTextsAndExtraBodyWins) {
  RequestShape shape{.endpoint = Endpoint::kCompletions, .model = "m", .exact_output_len = false,
                     .extra_body = {{"temperature", 0}, {"max_tokens", 7}}};
  json body = json::parse(build_request_body(shape, three_turns(), 1, {"answer one"}));
  EXPECT_EQ(body["prompt"], "You are terse.\n\nfirst question\n\nanswer one\n\nsecond question");
  EXPECT_FALSE(body.contains("messages"));
  EXPECT_FALSE(body.contains("min_tokens"));
  EXPECT_FALSE(body.contains("ignore_eos"));
  EXPECT_EQ(body["temperature"], 0);
  EXPECT_EQ(body["max_tokens"], 7);
}

TEST(RequestBody, DatasetMessagesGoAsTheyAre) {
  SessionPlan s;
  TurnPlan t;
  t.messages = json::array({{{"role", "user"}, {"content", "hi"}}});
  s.turns.push_back(t);
  json body = json::parse(build_request_body(RequestShape{.model = "m"}, s, 0, {}));
  EXPECT_EQ(body["messages"], t.messages);
  EXPECT_FALSE(body.contains("max_tokens"));  // the server decides
}

TEST(StreamChunk, ReadsTextTokensUsageErrorsAndDone) {
  auto role = parse_stream_chunk(R"({"choices":[{"index":0,"delta":{"role":"assistant","content":""}}]})");
  ASSERT_TRUE(role.is_ok());
  EXPECT_FALSE(role->has_token);  // an empty delta is not a token
  auto content = parse_stream_chunk(R"({"choices":[{"index":0,"delta":{"content":" Hello"}}]})");
  EXPECT_TRUE(content->has_token);
  EXPECT_EQ(content->text, " Hello");
  auto reasoning = parse_stream_chunk(R"({"choices":[{"delta":{"reasoning_content":"hmm"}}]})");
  EXPECT_TRUE(reasoning->has_token);
  EXPECT_EQ(reasoning->text, "hmm");
  EXPECT_EQ(reasoning->content, "");  // reasoning never goes into the next turn's history
  EXPECT_EQ(content->content, " Hello");
  auto tool = parse_stream_chunk(R"({"choices":[{"delta":{"tool_calls":[{"index":0,"function":{"arguments":"{"}}]}}]})");
  EXPECT_TRUE(tool->has_token);
  auto text = parse_stream_chunk(R"({"choices":[{"index":0,"text":"abc","finish_reason":null}]})");
  EXPECT_EQ(text->text, "abc");
  auto usage = parse_stream_chunk(R"({"choices":[],"usage":{"prompt_tokens":12,"completion_tokens":34}})");
  EXPECT_FALSE(usage->has_token);
  EXPECT_EQ(*usage->prompt_tokens, 12);
  EXPECT_EQ(*usage->completion_tokens, 34);
  auto error = parse_stream_chunk(R"({"error":{"message":"engine died","code":500}})");
  EXPECT_EQ(error->error, "engine died");
  EXPECT_TRUE(parse_stream_chunk("[DONE]")->done);
  EXPECT_FALSE(parse_stream_chunk("{not json").is_ok());
  EXPECT_FALSE(parse_stream_chunk("[1,2]").is_ok());
}

TEST(ErrorMessage, TakesTheOpenAiMessageOrTheBody) {
  EXPECT_EQ(error_message_of(R"({"error":{"message":"model 'x' not found"}})"), "model 'x' not found");
  EXPECT_EQ(error_message_of("Bad Gateway\n"), "Bad Gateway ");
}

}  // namespace
}  // namespace turbine::loadgen
