// The external-engine client against a real OpenAI-compatible server on loopback (the scripted
// server `turbine bench` is measured with: known text, timing and faults).
#include "worker/openai_upstream.h"

#include <gtest/gtest.h>

#include "tests/loadgen/scripted_server.h"
#include "tests/worker/worker_test_util.h"

namespace turbine {
namespace {

using namespace std::chrono_literals;

WorkerRequest request(int64_t max_tokens) {
  WorkerRequest r;
  r.prompt = {1, 2, 3, 4};
  r.params.max_tokens = max_tokens;
  r.params.ignore_eos = true;
  r.params.sampling.temperature = 0.0f;
  return r;
}

loadgen::testing::StubScript fast_script() {
  loadgen::testing::StubScript s;
  s.ttft = 5ms;
  s.itl = 1ms;
  return s;
}

TEST(OpenAiUpstream, StreamsTheUpstreamTextAsOutputs) {
  loadgen::testing::ScriptedServer upstream(fast_script());
  ASSERT_TRUE(upstream.start().is_ok());
  auto thread = std::make_shared<http::ClientThread>();
  OpenAiUpstream client({upstream.base_url() + "/v1", "upstream-model"}, thread);
  Collected c;
  ASSERT_TRUE(client.generate(request(7), c.sink()).is_ok());
  ASSERT_TRUE(c.wait());
  std::lock_guard<std::mutex> lk(c.mu);
  int text_outputs = 0;
  for (auto& o : c.outputs) text_outputs += !o.text.empty();
  EXPECT_EQ(text_outputs, 7);
  EXPECT_EQ(c.outputs.back().finish_reason, FinishReason::kLength);
  // What went upstream: the token ids as the prompt, the model, a stream.
  auto body = upstream.bodies().at(0);
  EXPECT_EQ(body["prompt"], nlohmann::json({1, 2, 3, 4}));
  EXPECT_EQ(body["model"], "upstream-model");
  EXPECT_EQ(body["max_tokens"], 7);
  EXPECT_EQ(body["stream"], true);
  EXPECT_EQ(body["ignore_eos"], true);
}

TEST(OpenAiUpstream, RefusesWhatTheApiCannotCarry) {
  auto thread = std::make_shared<http::ClientThread>();
  OpenAiUpstream client({"http://127.0.0.1:1", "m"}, thread);
  WorkerRequest r = request(4);
  r.params.n = 2;
  EXPECT_EQ(client.generate(r, [](RequestOutput&&) {}).status().code(), ErrorCode::kInvalidArgument);
  r.params.n = 1;
  r.params.logprobs = 1;
  EXPECT_EQ(client.generate(r, [](RequestOutput&&) {}).status().code(), ErrorCode::kInvalidArgument);
}

TEST(OpenAiUpstream, UpstreamFaultsCarryTheirKind) {
  auto script = fast_script();
  script.fail_every = 2;  // the 2nd request: 429
  script.cut_every = 3;   // the 3rd: cut halfway, no [DONE]
  loadgen::testing::ScriptedServer upstream(script);
  ASSERT_TRUE(upstream.start().is_ok());
  auto thread = std::make_shared<http::ClientThread>();
  OpenAiUpstream client({upstream.base_url(), "m"}, thread);
  std::vector<RequestOutput> last;
  for (int i = 0; i < 3; ++i) {
    Collected c;
    ASSERT_TRUE(client.generate(request(8), c.sink()).is_ok());
    ASSERT_TRUE(c.wait());
    std::lock_guard<std::mutex> lk(c.mu);
    last.push_back(c.outputs.back());
  }
  EXPECT_EQ(last[0].finish_reason, FinishReason::kLength);
  EXPECT_EQ(last[1].error_code, ErrorCode::kResourceExhausted);
  EXPECT_FALSE(last[1].started);
  EXPECT_EQ(last[2].finish_reason, FinishReason::kError);
  EXPECT_EQ(last[2].error_code, ErrorCode::kUnavailable);
  EXPECT_TRUE(last[2].started);
}

}  // namespace
}  // namespace turbine
