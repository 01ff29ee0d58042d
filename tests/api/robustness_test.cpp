// Untrusted bodies never throw, crash or recurse without bound: every parser answers a value or
// an ApiError for truncated, mutated and deeply nested input.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "api/chat_request.h"
#include "api/completion_request.h"
#include "api/tokenize.h"

namespace turbine::api {
namespace {

const std::vector<std::string> kBodies = {
    R"({"model":"m","messages":[{"role":"user","content":[{"type":"text","text":"a"}]},{"role":"assistant",)"
    R"("content":null,"tool_calls":[{"id":"c","type":"function","function":{"name":"f","arguments":"{\"x\":1}"}}]}],)"
    R"("tools":[{"type":"function","function":{"name":"f","parameters":{"type":"object"}}}],"tool_choice":"auto",)"
    R"("stop":["a","b"],"max_tokens":5,"temperature":0.5,"stream":true,"stream_options":{"include_usage":true}})",
    R"({"model":"m","prompt":[[1,2],[3]],"echo":true,"logprobs":2,"n":2,"best_of":2,"seed":-1,"top_k":-1})",
    R"({"model":"m","prompt":["a","b"],"stop":"x","logit_bias":{},"response_format":{"type":"text"}})",
    R"({"model":"m","tokens":[1,2,3],"messages":[{"role":"tool","content":"x","tool_call_id":"c"}]})",
};

// Runs every parser on `body`; returns false if any threw.
bool all_parsers_answer(const std::string& body) {
  try {
    (void)parse_chat_completion_request(body).is_ok();
    (void)parse_completion_request(body).is_ok();
    (void)parse_tokenize_request(body).is_ok();
    (void)parse_detokenize_request(body).is_ok();
    return true;
  } catch (...) {
    return false;
  }
}

TEST(RobustnessTest, TruncatedBodies) {
  for (const std::string& body : kBodies) {
    for (size_t n = 0; n <= body.size(); ++n) {
      ASSERT_TRUE(all_parsers_answer(body.substr(0, n))) << body.substr(0, n);
    }
  }
}

TEST(RobustnessTest, MutatedBodies) {
  const std::string replacements[] = {"\"", "{", "}", "[", "]", "1", "-", "x", ",", ":", "null", "\xFF", "1e999",
                                      "true", "\\u0000", "[[", "\"\""};
  for (const std::string& body : kBodies) {
    for (size_t i = 0; i < body.size(); ++i) {
      for (const std::string& r : replacements) {
        const std::string mutated = body.substr(0, i) + r + body.substr(i + 1);
        ASSERT_TRUE(all_parsers_answer(mutated)) << mutated;
        const std::string inserted = body.substr(0, i) + r + body.substr(i);
        ASSERT_TRUE(all_parsers_answer(inserted)) << inserted;
      }
    }
  }
}

TEST(RobustnessTest, DeepNestingIsRefused) {
  const int depth = 1000000;
  const std::string deep = R"({"model":"m","messages":[{"role":"user","content":"x"}],"metadata":)" +
                           std::string(depth, '[') + std::string(depth, ']') + "}";
  ApiResult<ChatCompletionRequest> r = parse_chat_completion_request(deep);
  ASSERT_FALSE(r.is_ok());
  EXPECT_EQ(r.error().status, 400);
  EXPECT_NE(r.error().message.find("deeper than"), std::string::npos) << r.error().message;
  // Brackets inside strings do not count.
  const std::string in_string = R"({"model":"m","prompt":")" + std::string(1000, '[') + R"("})";
  EXPECT_TRUE(parse_completion_request(in_string).is_ok());
  // Nesting up to the limit is fine.
  const std::string ok_depth = R"({"model":"m","prompt":"x","metadata":)" + std::string(kMaxJsonDepth - 1, '[') +
                               std::string(kMaxJsonDepth - 1, ']') + "}";
  EXPECT_TRUE(parse_completion_request(ok_depth).is_ok());
}

}  // namespace
}  // namespace turbine::api
