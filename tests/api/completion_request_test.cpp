#include "api/completion_request.h"

#include <gtest/gtest.h>

#include "tests/api/api_test_util.h"

namespace turbine::api {
namespace {

using testing::kMinimalCompletion;
using testing::with_fields;
using testing::without;

CompletionRequest parse_ok(const std::string& body) {
  ApiResult<CompletionRequest> r = parse_completion_request(body);
  EXPECT_TRUE(r.is_ok()) << body << " -> " << (r ? "" : r.error().message);
  return r ? std::move(r).value() : CompletionRequest{};
}

ApiError parse_error(const std::string& body) {
  ApiResult<CompletionRequest> r = parse_completion_request(body);
  EXPECT_FALSE(r.is_ok()) << body;
  return r ? ApiError{} : r.error();
}

std::vector<Prompt> prompts_of(const std::string& prompt_json) {
  return parse_ok(with_fields(kMinimalCompletion, "{\"prompt\": " + prompt_json + "}")).prompts;
}

TEST(CompletionRequestTest, Defaults) {
  const CompletionRequest r = parse_ok(kMinimalCompletion);
  EXPECT_EQ(r.params.model, "m");
  EXPECT_EQ(r.params.max_tokens, 16);  // OpenAI's default for completions
  EXPECT_EQ(r.params.n, 1);
  EXPECT_FALSE(r.params.stream);
  EXPECT_FALSE(r.echo);
  EXPECT_FALSE(r.logprobs.has_value());
  EXPECT_TRUE(r.add_special_tokens);
  ASSERT_EQ(r.prompts.size(), 1u);
  EXPECT_EQ(std::get<std::string>(r.prompts[0]), "Once upon a time");
}

TEST(CompletionRequestTest, PromptShapes) {
  std::vector<Prompt> p = prompts_of(R"(["a", "b"])");
  ASSERT_EQ(p.size(), 2u);
  EXPECT_EQ(std::get<std::string>(p[1]), "b");

  p = prompts_of("[1, 2, 3]");
  ASSERT_EQ(p.size(), 1u);
  EXPECT_EQ(std::get<std::vector<int32_t>>(p[0]), (std::vector<int32_t>{1, 2, 3}));

  p = prompts_of("[[1, 2], [3], [0]]");
  ASSERT_EQ(p.size(), 3u);
  EXPECT_EQ(std::get<std::vector<int32_t>>(p[0]), (std::vector<int32_t>{1, 2}));
  EXPECT_EQ(std::get<std::vector<int32_t>>(p[2]), (std::vector<int32_t>{0}));
}

TEST(CompletionRequestTest, CompletionFields) {
  const CompletionRequest r = parse_ok(with_fields(kMinimalCompletion, R"({"echo": true, "logprobs": 5,
      "suffix": "", "n": 3, "best_of": 3, "max_tokens": 1, "add_special_tokens": false, "max_completion_tokens": null,
      "temperature": 0, "stream": true, "stream_options": {"include_usage": true}})"));
  EXPECT_TRUE(r.echo);
  EXPECT_EQ(r.logprobs, 5);
  EXPECT_EQ(r.params.n, 3);
  EXPECT_EQ(r.params.max_tokens, 1);
  EXPECT_FALSE(r.add_special_tokens);
  EXPECT_TRUE(r.params.stream_options.include_usage);
  EXPECT_EQ(parse_ok(with_fields(kMinimalCompletion, R"({"logprobs": 0})")).logprobs, 0);
  EXPECT_FALSE(parse_ok(with_fields(kMinimalCompletion, R"({"logprobs": null})")).logprobs.has_value());
  EXPECT_EQ(parse_ok(with_fields(kMinimalCompletion, R"({"stop": "\n"})")).params.stop, std::vector<std::string>{"\n"});
  EXPECT_EQ(parse_ok(with_fields(kMinimalCompletion, R"({"max_completion_tokens": 4})")).params.max_tokens, 4);
  EXPECT_EQ(parse_ok(with_fields(kMinimalCompletion, R"({"min_tokens": 16})")).params.min_tokens, 16);
}

TEST(CompletionRequestTest, MalformedJson) {
  for (const char* body : {"", "{\"prompt\": \"x\"", "{'model': 'm'}"}) {
    const ApiError e = parse_error(body);
    EXPECT_EQ(e.status, 400);
    EXPECT_EQ(e.param, "");
    EXPECT_NE(e.message.find("not valid JSON"), std::string::npos) << e.message;
  }
}

struct BadCase {
  const char* fields;
  const char* param;
};

class CompletionBadFieldTest : public ::testing::TestWithParam<BadCase> {};

TEST_P(CompletionBadFieldTest, NamesTheParam) {
  const ApiError e = parse_error(with_fields(kMinimalCompletion, GetParam().fields));
  EXPECT_EQ(e.status, 400);
  EXPECT_EQ(e.type, "invalid_request_error");
  EXPECT_EQ(e.param, GetParam().param) << GetParam().fields << " -> " << e.message;
}

INSTANTIATE_TEST_SUITE_P(
    WrongTypesAndRanges, CompletionBadFieldTest,
    ::testing::Values(
        BadCase{R"({"prompt": null})", "prompt"}, BadCase{R"({"prompt": ""})", "prompt"},
        BadCase{R"({"prompt": []})", "prompt"}, BadCase{R"({"prompt": [""]})", "prompt"},
        BadCase{R"({"prompt": ["a", ""]})", "prompt"}, BadCase{R"({"prompt": [[]]})", "prompt"},
        BadCase{R"({"prompt": [[1], []]})", "prompt"}, BadCase{R"({"prompt": [1, "a"]})", "prompt"},
        BadCase{R"({"prompt": ["a", 1]})", "prompt"}, BadCase{R"({"prompt": [[1], "a"]})", "prompt"},
        BadCase{R"({"prompt": ["a", [1]]})", "prompt"}, BadCase{R"({"prompt": [-1]})", "prompt"},
        BadCase{R"({"prompt": [1.5]})", "prompt"}, BadCase{R"({"prompt": [2147483648]})", "prompt"},
        BadCase{R"({"prompt": [[1, -2]]})", "prompt"}, BadCase{R"({"prompt": {"x": 1}})", "prompt"},
        BadCase{R"({"prompt": true})", "prompt"}, BadCase{R"({"prompt": 5})", "prompt"},
        BadCase{R"({"prompt": [null]})", "prompt"}, BadCase{R"({"prompt": [true]})", "prompt"},
        BadCase{R"({"echo": "x"})", "echo"}, BadCase{R"({"logprobs": 6})", "logprobs"},
        BadCase{R"({"logprobs": -1})", "logprobs"}, BadCase{R"({"logprobs": true})", "logprobs"},
        BadCase{R"({"suffix": "abc"})", "suffix"}, BadCase{R"({"suffix": 5})", "suffix"},
        BadCase{R"({"best_of": 2})", "best_of"}, BadCase{R"({"best_of": 0})", "best_of"},
        BadCase{R"({"n": 2, "best_of": 3})", "best_of"},
        BadCase{R"({"min_tokens": 17})", "min_tokens"},  // past the default max_tokens of 16
        BadCase{R"({"max_tokens": 0})", "max_tokens"}, BadCase{R"({"temperature": 5})", "temperature"},
        BadCase{R"({"model": 1})", "model"}, BadCase{R"({"add_special_tokens": 1})", "add_special_tokens"}));

TEST(CompletionRequestTest, MissingFields) {
  EXPECT_EQ(parse_error(without(kMinimalCompletion, "prompt")).param, "prompt");
  EXPECT_EQ(parse_error(without(kMinimalCompletion, "model")).param, "model");
}

}  // namespace
}  // namespace turbine::api
