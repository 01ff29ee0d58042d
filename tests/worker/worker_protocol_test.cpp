#include "worker/worker_protocol.h"

#include <gtest/gtest.h>

namespace turbine {
namespace {

TEST(WorkerProtocol, RequestRoundTrip) {
  WorkerRequest r;
  r.prompt = {1, 2, 3};
  r.params.max_tokens = 7;
  r.params.min_tokens = 2;
  r.params.ignore_eos = true;
  r.params.n = 3;
  r.params.logprobs = 2;
  r.params.stop_token_ids = {9};
  r.params.sampling.temperature = 0.5f;
  r.params.sampling.top_k = 4;
  r.params.sampling.seed = 42;
  auto back = decode_worker_request(encode_worker_request(r));
  ASSERT_TRUE(back.is_ok()) << back.status().message();
  EXPECT_EQ(back->prompt, r.prompt);
  EXPECT_EQ(back->params.max_tokens, 7);
  EXPECT_EQ(back->params.min_tokens, 2);
  EXPECT_TRUE(back->params.ignore_eos);
  EXPECT_EQ(back->params.n, 3);
  EXPECT_EQ(back->params.logprobs, 2);
  EXPECT_EQ(back->params.stop_token_ids, std::vector<int32_t>{9});
  EXPECT_FLOAT_EQ(back->params.sampling.temperature, 0.5f);
  EXPECT_EQ(back->params.sampling.top_k, 4);
  ASSERT_TRUE(back->params.sampling.seed.has_value());
  EXPECT_EQ(*back->params.sampling.seed, 42u);
}

TEST(WorkerProtocol, BadRequestsNameTheField) {
  EXPECT_FALSE(decode_worker_request("not json").is_ok());
  EXPECT_FALSE(decode_worker_request("[1,2]").is_ok());
  auto r = decode_worker_request(R"({"prompt":"text","params":{}})");
  ASSERT_FALSE(r.is_ok());
  EXPECT_NE(r.status().message().find("generate request"), std::string::npos);
  EXPECT_FALSE(decode_worker_request(R"({"prompt":[1],"params":{"n":0}})").is_ok());
  EXPECT_FALSE(decode_worker_request(R"({"params":{}})").is_ok());
}

TEST(WorkerProtocol, OutputLineRoundTrip) {
  RequestOutput o;
  o.index = 1;
  o.tokens = {{5, -0.25f, {{5, -0.25f}, {7, -1.5f}}}, {6, -0.5f, {}}};
  o.finish_reason = FinishReason::kLength;
  o.num_prompt_tokens = 12;
  o.num_cached_tokens = 8;
  o.queue_seconds = 0.125;
  const std::string line = encode_output_line(o);
  ASSERT_EQ(line.back(), '\n');
  auto back = decode_output_line(std::string_view(line).substr(0, line.size() - 1));
  ASSERT_TRUE(back.is_ok()) << back.status().message();
  EXPECT_EQ(back->index, 1);
  ASSERT_EQ(back->tokens.size(), 2u);
  EXPECT_EQ(back->tokens[0].token, 5);
  EXPECT_FLOAT_EQ(back->tokens[0].logprob, -0.25f);
  ASSERT_EQ(back->tokens[0].top.size(), 2u);
  EXPECT_EQ(back->tokens[0].top[1].first, 7);
  EXPECT_EQ(back->finish_reason, FinishReason::kLength);
  EXPECT_EQ(back->num_cached_tokens, 8);
  EXPECT_DOUBLE_EQ(back->queue_seconds, 0.125);

  RequestOutput err;
  err.finish_reason = FinishReason::kError;
  err.error = "boom";
  err.error_code = ErrorCode::kInternal;
  auto e = decode_output_line(encode_output_line(err));
  ASSERT_TRUE(e.is_ok());
  EXPECT_EQ(e->finish_reason, FinishReason::kError);
  EXPECT_EQ(e->error_code, ErrorCode::kInternal);
  EXPECT_EQ(e->error, "boom");
  EXPECT_FALSE(decode_output_line(R"({"code":99})").is_ok());
}

TEST(WorkerProtocol, KvEventsKeepTheirOrderInRuns) {
  std::vector<KvEvent> events = {{KvEvent::Kind::kStored, 1}, {KvEvent::Kind::kStored, 2},
                                 {KvEvent::Kind::kRemoved, 1}, {KvEvent::Kind::kStored, 0xffffffffffffffffull}};
  std::vector<WorkerEvent> decoded;
  LineSplitter lines;
  ASSERT_TRUE(lines.feed(encode_kv_event_lines(events), [&](std::string_view l) {
    auto e = decode_event_line(l);
    ASSERT_TRUE(e.is_ok()) << e.status().message();
    decoded.push_back(*e);
  }));
  ASSERT_EQ(decoded.size(), 3u);
  EXPECT_EQ(decoded[0].kind, WorkerEvent::Kind::kStored);
  EXPECT_EQ(decoded[0].hashes, (std::vector<uint64_t>{1, 2}));
  EXPECT_EQ(decoded[1].kind, WorkerEvent::Kind::kRemoved);
  EXPECT_EQ(decoded[2].hashes, (std::vector<uint64_t>{0xffffffffffffffffull}));
}

TEST(WorkerProtocol, LineSplitterJoinsPiecesAndRefusesHugeLines) {
  LineSplitter lines(8);
  std::vector<std::string> got;
  auto take = [&](std::string_view l) { got.emplace_back(l); };
  EXPECT_TRUE(lines.feed("ab", take));
  EXPECT_TRUE(lines.feed("c\nd", take));
  EXPECT_TRUE(lines.feed("\n\n", take));
  EXPECT_EQ(got, (std::vector<std::string>{"abc", "d", ""}));
  EXPECT_FALSE(lines.feed("0123456789", take));
}

TEST(WorkerProtocol, WorkerInfoRoundTripAndValidation) {
  WorkerInfo i;
  i.id = "127.0.0.1:9";
  i.model = "m";
  i.version = "v2";
  i.address = "http://127.0.0.1:9";
  i.capacity = 8;
  i.block_size = 32;
  auto back = decode_worker_info(encode_worker_info(i));
  ASSERT_TRUE(back.is_ok());
  EXPECT_EQ(back->version, "v2");
  EXPECT_EQ(back->block_size, 32);
  EXPECT_FALSE(decode_worker_info(R"({"id":"","model":"m","address":"x"})").is_ok());
  EXPECT_FALSE(decode_worker_info(R"({"id":"a","model":"m"})").is_ok());
}

}  // namespace
}  // namespace turbine
