#include "api/completion_response.h"

#include <gtest/gtest.h>

namespace turbine::api {
namespace {

using nlohmann::json;

TEST(CompletionResponseTest, CompletionFieldByField) {
  TextCompletion c{.id = "cmpl-1", .created = 42, .model = "m"};
  c.choices.push_back({.index = 0, .text = " there", .finish_reason = FinishReason::kLength});
  c.usage = {.prompt_tokens = 2, .completion_tokens = 16};
  const std::string body = text_completion_json(c);
  EXPECT_EQ(body,
            R"({"id":"cmpl-1","object":"text_completion","created":42,"model":"m","choices":[{"index":0,)"
            R"("text":" there","logprobs":null,"finish_reason":"length"}],"usage":{"prompt_tokens":2,)"
            R"("completion_tokens":16,"total_tokens":18,"prompt_tokens_details":{"cached_tokens":0}}})");
  const json j = json::parse(body);
  EXPECT_EQ(j["choices"][0]["text"], " there");
  EXPECT_EQ(j["usage"]["total_tokens"], 18);
}

TEST(CompletionResponseTest, CompletionLogprobsWithEcho) {
  TextCompletion c{.id = "cmpl-2", .created = 1, .model = "m"};
  CompletionChoice choice{.index = 0, .text = "Hi é!", .finish_reason = FinishReason::kStop};
  choice.logprobs = std::vector<TokenLogprob>{
      {"Hi", std::nullopt, {}},                     // first prompt token: not scored
      {" é", -1.25f, {{" é", -1.25f}, {" e", -2.0f}}},  // 2 characters, 3 bytes
      {"!", -0.5f, {{"!", -0.5f}}},
  };
  c.choices.push_back(choice);
  const json j = json::parse(text_completion_json(c));
  const json& lp = j["choices"][0]["logprobs"];
  EXPECT_EQ(lp["tokens"], json::parse(R"(["Hi", " é", "!"])"));
  EXPECT_EQ(lp["token_logprobs"], json::parse("[null, -1.25, -0.5]"));
  EXPECT_EQ(lp["top_logprobs"], json::parse(R"([null, {" é": -1.25, " e": -2.0}, {"!": -0.5}])"));
  EXPECT_EQ(lp["text_offset"], json::parse("[0, 2, 4]"));
}

TEST(CompletionResponseTest, StreamChunks) {
  TextCompletionChunk chunk{.id = "cmpl-3", .created = 7, .model = "m"};
  CompletionChoice piece{.index = 1, .text = "lo"};
  piece.logprobs = std::vector<TokenLogprob>{{"lo", -0.75f, {{"lo", -0.75f}}}};
  piece.text_offset = 3;  // "Hel" already sent
  chunk.choices.push_back(piece);
  json j = json::parse(text_completion_chunk_json(chunk));
  EXPECT_EQ(j["object"], "text_completion");
  EXPECT_EQ(j["choices"][0]["index"], 1);
  EXPECT_EQ(j["choices"][0]["text"], "lo");
  EXPECT_TRUE(j["choices"][0]["finish_reason"].is_null());
  EXPECT_EQ(j["choices"][0]["logprobs"]["text_offset"], json::parse("[3]"));
  EXPECT_FALSE(j.contains("usage"));

  chunk.include_usage = true;
  j = json::parse(text_completion_chunk_json(chunk));
  ASSERT_TRUE(j.contains("usage"));
  EXPECT_TRUE(j["usage"].is_null());

  TextCompletionChunk usage{.id = "cmpl-3", .created = 7, .model = "m", .include_usage = true};
  usage.usage = Usage{.prompt_tokens = 1, .completion_tokens = 2, .cached_tokens = 1};
  j = json::parse(text_completion_chunk_json(usage));
  EXPECT_EQ(j["choices"], json::array());
  EXPECT_EQ(j["usage"]["total_tokens"], 3);
  EXPECT_EQ(j["usage"]["prompt_tokens_details"]["cached_tokens"], 1);
}

TEST(LogprobsTest, TextLengthCountsCharacters) {
  EXPECT_EQ(text_length(""), 0);
  EXPECT_EQ(text_length("abc"), 3);
  EXPECT_EQ(text_length("é"), 1);
  EXPECT_EQ(text_length("日本"), 2);
  EXPECT_EQ(text_length("\xF0\x9F\x98\x80"), 1);  // 😀
  EXPECT_EQ(text_length("\xE2\x82"), 2);          // half a character: each byte counts
  EXPECT_EQ(text_length("a\xFF" "b"), 3);
  EXPECT_EQ(text_length("\xED\xA0\x80"), 3);      // a surrogate is not a character
}

TEST(LogprobsTest, InvalidUtf8KeysInCompletionTopLogprobs) {
  CompletionChoice choice{.index = 0, .text = "x"};
  choice.logprobs = std::vector<TokenLogprob>{{"\xC3", -1.0f, {{"\xC3", -1.0f}}}};
  TextCompletion c{.id = "c", .created = 0, .model = "m"};
  c.choices.push_back(choice);
  std::string body;
  ASSERT_NO_THROW(body = text_completion_json(c));
  EXPECT_NO_THROW(json::parse(body));
}

}  // namespace
}  // namespace turbine::api
