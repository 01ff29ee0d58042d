#include "api/tokenize.h"

#include <gtest/gtest.h>

#include "api/model_list.h"

namespace turbine::api {
namespace {

using nlohmann::json;

TEST(TokenizeTest, PromptForm) {
  ApiResult<TokenizeRequest> r = parse_tokenize_request(R"({"model": "m", "prompt": "Hello"})");
  ASSERT_TRUE(r.is_ok()) << r.error().message;
  EXPECT_EQ(r->model, "m");
  EXPECT_FALSE(r->is_chat);
  EXPECT_EQ(r->prompt, "Hello");
  EXPECT_TRUE(r->add_special_tokens);
  EXPECT_FALSE(r->return_token_strs);

  r = parse_tokenize_request(R"({"prompt": "", "add_special_tokens": false, "return_token_strs": true})");
  ASSERT_TRUE(r.is_ok()) << r.error().message;
  EXPECT_EQ(r->model, "");
  EXPECT_FALSE(r->add_special_tokens);
  EXPECT_TRUE(r->return_token_strs);
}

TEST(TokenizeTest, ChatForm) {
  ApiResult<TokenizeRequest> r = parse_tokenize_request(R"({"model": "m",
      "messages": [{"role": "user", "content": "Hi"}], "add_generation_prompt": false,
      "chat_template_kwargs": {"enable_thinking": true},
      "tools": [{"type": "function", "function": {"name": "f"}}]})");
  ASSERT_TRUE(r.is_ok()) << r.error().message;
  EXPECT_TRUE(r->is_chat);
  ASSERT_EQ(r->messages.size(), 1u);
  EXPECT_EQ(r->template_messages, json::parse(R"([{"role": "user", "content": "Hi"}])"));
  EXPECT_FALSE(r->template_options.add_generation_prompt);
  EXPECT_EQ(r->template_options.kwargs["enable_thinking"], true);
  EXPECT_FALSE(r->add_special_tokens);  // the template writes BOS
  EXPECT_EQ(r->template_tools[0]["function"]["name"], "f");

  r = parse_tokenize_request(R"({"messages": [{"role": "user", "content": "Hi"}]})");
  ASSERT_TRUE(r.is_ok());
  EXPECT_TRUE(r->template_options.add_generation_prompt);
  EXPECT_TRUE(r->template_tools.is_null());
}

TEST(TokenizeTest, BadRequests) {
  const auto param_of = [](const char* body) {
    ApiResult<TokenizeRequest> r = parse_tokenize_request(body);
    EXPECT_FALSE(r.is_ok()) << body;
    return r ? std::string("<ok>") : r.error().param;
  };
  EXPECT_EQ(param_of("{"), "");
  EXPECT_EQ(param_of(R"({"model": "m"})"), "prompt");
  EXPECT_EQ(param_of(R"({"prompt": 5})"), "prompt");
  EXPECT_EQ(param_of(R"({"prompt": "x", "messages": [{"role": "user", "content": "x"}]})"), "messages");
  EXPECT_EQ(param_of(R"({"messages": []})"), "messages");
  EXPECT_EQ(param_of(R"({"messages": [{"role": "bot", "content": "x"}]})"), "messages[0].role");
  EXPECT_EQ(param_of(R"({"model": 3, "prompt": "x"})"), "model");
  EXPECT_EQ(param_of(R"({"prompt": "x", "return_token_strs": "y"})"), "return_token_strs");
  EXPECT_EQ(param_of(R"({"messages": [{"role": "user", "content": "x"}], "add_generation_prompt": true,
                         "continue_final_message": true})"),
            "continue_final_message");
}

TEST(TokenizeTest, Responses) {
  EXPECT_EQ(tokenize_response_json({1, 15043, 3186}, 4096),
            R"({"count":3,"max_model_len":4096,"tokens":[1,15043,3186],"token_strs":null})");
  const std::vector<std::string> strs = {"<s>", "\xE2\x96\x81Hello", "\xE2"};
  const json j = json::parse(tokenize_response_json({1, 2, 3}, 8, &strs));
  EXPECT_EQ(j["token_strs"][1], "\xE2\x96\x81Hello");
  EXPECT_EQ(j["token_strs"].size(), 3u);
  EXPECT_EQ(detokenize_response_json("Hello world"), R"({"prompt":"Hello world"})");
}

TEST(DetokenizeTest, ParsesTokens) {
  ApiResult<DetokenizeRequest> r = parse_detokenize_request(R"({"model": "m", "tokens": [1, 2, 3]})");
  ASSERT_TRUE(r.is_ok());
  EXPECT_EQ(r->model, "m");
  EXPECT_EQ(r->tokens, (std::vector<int32_t>{1, 2, 3}));
  ASSERT_TRUE(parse_detokenize_request(R"({"tokens": []})").is_ok());
  for (const char* body : {R"({"model": "m"})", R"({"tokens": "1 2"})", R"({"tokens": [-1]})", R"({"tokens": [1.5]})",
                           R"({"tokens": ["a"]})"}) {
    ApiResult<DetokenizeRequest> bad = parse_detokenize_request(body);
    ASSERT_FALSE(bad.is_ok()) << body;
    EXPECT_EQ(bad.error().param, "tokens") << body;
  }
}

TEST(ModelListTest, ListAndCard) {
  const std::vector<ModelCard> models = {
      {.id = "llama", .created = 100, .max_model_len = 8192},
      {.id = "llama-lora", .created = 101, .owned_by = "me", .root = "/adapters/x", .parent = "llama"},
  };
  const json j = json::parse(model_list_json(models));
  EXPECT_EQ(j["object"], "list");
  ASSERT_EQ(j["data"].size(), 2u);
  EXPECT_EQ(j["data"][0]["id"], "llama");
  EXPECT_EQ(j["data"][0]["object"], "model");
  EXPECT_EQ(j["data"][0]["created"], 100);
  EXPECT_EQ(j["data"][0]["owned_by"], "turbine");
  EXPECT_EQ(j["data"][0]["root"], "llama");
  EXPECT_TRUE(j["data"][0]["parent"].is_null());
  EXPECT_EQ(j["data"][0]["max_model_len"], 8192);
  EXPECT_EQ(j["data"][1]["owned_by"], "me");
  EXPECT_EQ(j["data"][1]["root"], "/adapters/x");
  EXPECT_EQ(j["data"][1]["parent"], "llama");
  EXPECT_FALSE(j["data"][1].contains("max_model_len"));
  EXPECT_EQ(model_card_json(models[0]),
            R"({"id":"llama","object":"model","created":100,"owned_by":"turbine","root":"llama","parent":null,)"
            R"("max_model_len":8192})");
  EXPECT_EQ(model_list_json({}), R"({"object":"list","data":[]})");
}

}  // namespace
}  // namespace turbine::api
