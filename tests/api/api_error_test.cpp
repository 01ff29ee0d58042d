#include "api/api_error.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "api/json_dump.h"

namespace turbine::api {
namespace {

TEST(ApiErrorTest, ErrorJsonHasOpenAiShape) {
  EXPECT_EQ(error_json(invalid_request("'n' must be an integer in [1, 128], got 0", "n")),
            R"({"error":{"message":"'n' must be an integer in [1, 128], got 0","type":"invalid_request_error",)"
            R"("param":"n","code":null}})");
  EXPECT_EQ(error_json(server_error("boom")),
            R"({"error":{"message":"boom","type":"server_error","param":null,"code":null}})");
}

TEST(ApiErrorTest, HelpersSetStatusTypeAndCode) {
  const ApiError nf = model_not_found("llama");
  EXPECT_EQ(nf.status, 404);
  EXPECT_EQ(nf.type, "not_found_error");
  EXPECT_EQ(nf.param, "model");
  EXPECT_EQ(nf.code, "model_not_found");
  EXPECT_EQ(nf.message, "The model `llama` does not exist.");
  EXPECT_EQ(rate_limited("queue full").status, 429);
  EXPECT_EQ(rate_limited("queue full").type, "rate_limit_error");
  EXPECT_EQ(service_unavailable("draining").status, 503);
  EXPECT_EQ(server_error("x").status, 500);
  EXPECT_EQ(invalid_request("x").status, 400);

  const nlohmann::json parsed = nlohmann::json::parse(error_json(nf));
  EXPECT_EQ(parsed["error"]["code"], "model_not_found");
  EXPECT_EQ(parsed["error"]["param"], "model");
}

TEST(ApiErrorTest, InvalidUtf8InAMessageStillGivesValidJson) {
  const std::string body = error_json(invalid_request("bad \xFF\xFE bytes"));
  const nlohmann::json parsed = nlohmann::json::parse(body);
  EXPECT_EQ(parsed["error"]["message"], "bad \xEF\xBF\xBD\xEF\xBF\xBD bytes");
}

TEST(ApiErrorTest, DumpJsonIsCompactAndNeverThrows) {
  nlohmann::json j = {{"a", "x\xE2\x82"}};
  EXPECT_NO_THROW(dump_json(j));
  EXPECT_EQ(dump_json(j), "{\"a\":\"x\xEF\xBF\xBD\"}");
  EXPECT_EQ(dump_json(nlohmann::ordered_json{{"b", 1}, {"a", "é"}}), "{\"b\":1,\"a\":\"é\"}");
}

TEST(ApiResultTest, HoldsAValueOrAnError) {
  ApiResult<int> ok = 5;
  ASSERT_TRUE(ok.is_ok());
  EXPECT_EQ(*ok, 5);
  ApiResult<int> bad = invalid_request("no", "x");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().param, "x");
}

}  // namespace
}  // namespace turbine::api
