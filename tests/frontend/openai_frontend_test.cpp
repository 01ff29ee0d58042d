// The OpenAI API served over real HTTP on port 0 by an in-process frontend and engine: response
// shapes, streaming, stop strings, n, logprobs, echo, cancellation by disconnect, the bounded
// queue's 429, and every kind of bad input answered with a 4xx OpenAI error while others keep
// being served.
#include <atomic>
#include <thread>

#include "tests/frontend/frontend_test_util.h"

namespace turbine::testing {
namespace {

using nlohmann::json;

TEST(OpenAiFrontend, ChatCompletionHasOpenAiShapeAndUsage) {
  TestServer s;
  const auto r = s.post("/v1/chat/completions", chat_body("Hello there", 6).dump());
  ASSERT_EQ(r.status, 200) << r.body;
  const json j = json::parse(r.body);
  EXPECT_EQ(j["object"], "chat.completion");
  EXPECT_EQ(j["model"], "test");
  EXPECT_TRUE(j["id"].get<std::string>().starts_with("chatcmpl-"));
  ASSERT_EQ(j["choices"].size(), 1u);
  EXPECT_EQ(j["choices"][0]["message"]["role"], "assistant");
  EXPECT_TRUE(j["choices"][0]["message"]["content"].is_string());
  EXPECT_EQ(j["choices"][0]["finish_reason"], "length");
  EXPECT_EQ(j["usage"]["completion_tokens"], 6);
  // The Llama 3 template wraps the message: header tokens, the text, <|eot_id|>, the reply header.
  const auto t = s.post("/tokenize", json{{"model", "test"}, {"messages", {{{"role", "user"}, {"content", "Hello there"}}}}}.dump());
  EXPECT_EQ(j["usage"]["prompt_tokens"], json::parse(t.body)["count"]);
  EXPECT_EQ(j["usage"]["total_tokens"], j["usage"]["prompt_tokens"].get<int>() + 6);
}

TEST(OpenAiFrontend, StreamedTextEqualsTheWholeResponse) {
  TestServer s;
  const json body = chat_body("Tell me a story", 12);
  const json whole = json::parse(s.post("/v1/chat/completions", body.dump()).body);
  json sbody = body;
  sbody["stream"] = true;
  sbody["stream_options"] = {{"include_usage", true}};
  const auto r = s.post("/v1/chat/completions", sbody.dump());
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.header("content-type").value_or(""), "text/event-stream");
  http::SseParser parser;
  const auto events = parser.feed(r.body);
  ASSERT_GE(events.size(), 3u);
  EXPECT_EQ(events.back().data, "[DONE]");
  std::string text;
  json usage;
  std::string finish;
  for (size_t i = 0; i + 1 < events.size(); ++i) {
    const json c = json::parse(events[i].data);
    EXPECT_EQ(c["object"], "chat.completion.chunk");
    if (c["choices"].empty()) {
      usage = c["usage"];
      continue;
    }
    if (i == 0) EXPECT_EQ(c["choices"][0]["delta"]["role"], "assistant");
    if (c["choices"][0]["delta"].contains("content")) text += c["choices"][0]["delta"]["content"].get<std::string>();
    if (!c["choices"][0]["finish_reason"].is_null()) finish = c["choices"][0]["finish_reason"];
  }
  EXPECT_EQ(text, whole["choices"][0]["message"]["content"].get<std::string>());
  EXPECT_EQ(finish, "length");
  EXPECT_EQ(usage["completion_tokens"], 12);
}

TEST(OpenAiFrontend, StopStringCutsTheTextStreamedOrNot) {
  TestServer s;
  const std::string full =
      json::parse(s.post("/v1/completions", json{{"model", "test"}, {"prompt", "Once upon"}, {"max_tokens", 16}, {"temperature", 0}}.dump()).body)["choices"][0]["text"];
  ASSERT_GT(full.size(), 12u);
  const std::string stop = full.substr(6, 4);  // four bytes in the middle of the text
  const size_t cut = full.find(stop);
  for (bool stream : {false, true}) {
    json body = {{"model", "test"}, {"prompt", "Once upon"}, {"max_tokens", 16}, {"temperature", 0}, {"stop", stop}, {"stream", stream}};
    const auto r = s.post("/v1/completions", body.dump());
    std::string text, finish;
    if (!stream) {
      const json j = json::parse(r.body);
      text = j["choices"][0]["text"];
      finish = j["choices"][0]["finish_reason"];
    } else {
      http::SseParser p;
      for (const auto& e : p.feed(r.body)) {
        if (e.data == "[DONE]") continue;
        const json c = json::parse(e.data);
        text += c["choices"][0]["text"].get<std::string>();
        if (!c["choices"][0]["finish_reason"].is_null()) finish = c["choices"][0]["finish_reason"];
      }
    }
    EXPECT_EQ(text, full.substr(0, cut)) << "stream " << stream;
    EXPECT_EQ(finish, "stop");
  }
}

TEST(OpenAiFrontend, NChoicesLogprobsAndEcho) {
  TestServer s;
  const auto r = s.post("/v1/chat/completions",
                        chat_body("Hi", 5, {{"n", 3}, {"temperature", 1.0}, {"seed", 7}, {"logprobs", true}, {"top_logprobs", 2}}).dump());
  ASSERT_EQ(r.status, 200) << r.body;
  const json j = json::parse(r.body);
  ASSERT_EQ(j["choices"].size(), 3u);
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(j["choices"][i]["index"], i);
    const json& lp = j["choices"][i]["logprobs"]["content"];
    ASSERT_EQ(lp.size(), 5u);
    ASSERT_EQ(lp[0]["top_logprobs"].size(), 2u);
    EXPECT_LE(lp[0]["logprob"].get<double>(), 0.0);
    EXPECT_GE(lp[0]["top_logprobs"][0]["logprob"].get<double>(), lp[0]["top_logprobs"][1]["logprob"].get<double>());
  }
  EXPECT_EQ(j["usage"]["completion_tokens"], 15);
  // Completions with echo: the prompt's text and its tokens' logprobs come first.
  const auto c = s.post("/v1/completions", json{{"model", "test"}, {"prompt", "The capital of"}, {"max_tokens", 3},
                                                  {"echo", true}, {"logprobs", 1}, {"temperature", 0}}.dump());
  const json cj = json::parse(c.body);
  const std::string text = cj["choices"][0]["text"];
  EXPECT_TRUE(text.starts_with("The capital of")) << text;
  const json& lp = cj["choices"][0]["logprobs"];
  const size_t prompt_tokens = cj["usage"]["prompt_tokens"];
  ASSERT_EQ(lp["tokens"].size(), prompt_tokens + 3);
  EXPECT_TRUE(lp["token_logprobs"][0].is_null());
  EXPECT_TRUE(lp["token_logprobs"][1].is_number());
}

TEST(OpenAiFrontend, SecondRequestReportsCachedPromptTokens) {
  TestServer s;
  const std::string content(400, 'a');
  const json body = chat_body(content + " once more", 2);
  const json a = json::parse(s.post("/v1/chat/completions", body.dump()).body);
  const json b = json::parse(s.post("/v1/chat/completions", body.dump()).body);
  EXPECT_EQ(a["usage"]["prompt_tokens_details"]["cached_tokens"], 0);
  const int prompt = b["usage"]["prompt_tokens"];
  EXPECT_EQ(b["usage"]["prompt_tokens_details"]["cached_tokens"], (prompt - 1) / 16 * 16);
  EXPECT_GT(s.metric("vllm:prefix_cache_hits_total"), 0);
}

TEST(OpenAiFrontend, BadInputGetsOpenAiErrors) {
  TestServer s;
  struct Case {
    std::string path, body;
    int status;
    std::string param;
  };
  std::string long_prompt;  // 5000 tokens: more than the 4096 of the context
  for (int i = 0; i < 5000; ++i) long_prompt += " a";
  const std::vector<Case> cases = {
      {"/v1/chat/completions", "{not json", 400, ""},
      {"/v1/chat/completions", "[]", 400, ""},
      {"/v1/chat/completions", json{{"model", "nope"}, {"messages", {{{"role", "user"}, {"content", "x"}}}}}.dump(), 404, "model"},
      {"/v1/chat/completions", json{{"model", "test"}, {"messages", "hi"}}.dump(), 400, "messages"},
      {"/v1/chat/completions", chat_body("x", 5, {{"temperature", "hot"}}).dump(), 400, "temperature"},
      {"/v1/chat/completions", chat_body("x", 5, {{"temperature", 3.5}}).dump(), 400, "temperature"},
      {"/v1/chat/completions", chat_body("x", 5, {{"n", 0}}).dump(), 400, "n"},
      {"/v1/chat/completions", chat_body("x", 5, {{"top_p", 0}}).dump(), 400, "top_p"},
      {"/v1/chat/completions", chat_body("x", -1).dump(), 400, "max_tokens"},
      {"/v1/chat/completions", chat_body("x", 100000).dump(), 400, "max_tokens"},
      {"/v1/chat/completions", chat_body(long_prompt, 5).dump(), 400, "messages"},
      {"/v1/completions", json{{"model", "test"}, {"prompt", {1, 2, 99999999}}}.dump(), 400, "prompt"},
      {"/v1/completions", json{{"model", "test"}, {"prompt", ""}}.dump(), 400, "prompt"},
      {"/detokenize", json{{"model", "test"}, {"tokens", {5, 999999}}}.dump(), 400, "tokens"},
  };
  for (const Case& c : cases) {
    const auto r = s.post(c.path, c.body);
    EXPECT_EQ(r.status, c.status) << c.body.substr(0, 200) << " -> " << r.body;
    const json j = json::parse(r.body, nullptr, false);
    ASSERT_TRUE(j.is_object() && j.contains("error")) << r.body;
    EXPECT_TRUE(j["error"]["message"].is_string());
    EXPECT_TRUE(j["error"]["type"].is_string());
    if (!c.param.empty()) EXPECT_EQ(j["error"]["param"].dump(), json(c.param).dump()) << r.body;
  }
  EXPECT_EQ(s.get("/v1/nothing").status, 404);
  EXPECT_EQ(json::parse(s.get("/v1/nothing").body)["error"]["type"], "not_found_error");
  // And the server still serves.
  EXPECT_EQ(s.post("/v1/chat/completions", chat_body("still there?", 2).dump()).status, 200);
}

TEST(OpenAiFrontend, OversizedBodyIs413) {
  FrontendOptions fo;
  fo.http.max_body_bytes = 1 << 16;
  TestServer s({}, fo);
  const auto r = s.post("/v1/chat/completions", chat_body(std::string(1 << 17, 'y'), 2).dump());
  EXPECT_EQ(r.status, 413);
  EXPECT_TRUE(json::parse(r.body)["error"]["message"].is_string());
  EXPECT_EQ(s.post("/v1/chat/completions", chat_body("small", 2).dump()).status, 200);
}

TEST(OpenAiFrontend, ClientThatLeavesMidStreamCancelsItsRequest) {
  TestServer s;
  http::ClientRequest r;
  r.method = "POST";
  r.url = s.base + "/v1/chat/completions";
  r.body = chat_body("go on and on", 3000, {{"stream", true}, {"ignore_eos", true}}).dump();
  int chunks = 0;
  auto resp = http::fetch_stream(r, [&](std::string_view) { return ++chunks < 3; });  // leave after 3 pieces
  ASSERT_TRUE(resp.is_ok());
  // The engine frees the request within a step of noticing: poll the gauge, no timing asserted.
  double running = 1;
  for (int i = 0; i < 600 && running != 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
    running = s.metric("vllm:num_requests_running");
  }
  EXPECT_EQ(running, 0);
  EXPECT_EQ(s.metric("vllm:kv_cache_usage_perc"), 0);
  EXPECT_LT(s.metric("vllm:generation_tokens_total"), 3000);
}

TEST(OpenAiFrontend, FullQueueAnswers429WithRetryAfter) {
  EngineOptions eo;
  eo.max_num_seqs = 1;
  eo.max_waiting_requests = 1;
  TestServer s(eo);
  // One long request runs, one waits; the third finds the queue full.
  std::vector<std::thread> clients;
  std::atomic<int> done{0};
  for (int i = 0; i < 2; ++i) {
    clients.emplace_back([&, i] {
      s.post("/v1/completions", json{{"model", "test"}, {"prompt", "p" + std::to_string(i)}, {"max_tokens", 400}, {"ignore_eos", true}}.dump());
      ++done;
    });
    while (s.metric(i == 0 ? "vllm:num_requests_running" : "vllm:num_requests_waiting") < 1)
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  const auto r = s.post("/v1/completions", json{{"model", "test"}, {"prompt", "third"}, {"max_tokens", 2}}.dump());
  EXPECT_EQ(r.status, 429) << r.body;
  EXPECT_TRUE(r.header("retry-after").has_value());
  EXPECT_EQ(json::parse(r.body)["error"]["type"], "rate_limit_error");
  for (auto& t : clients) t.join();
  EXPECT_EQ(done.load(), 2);
}

TEST(OpenAiFrontend, ManyConcurrentClientsAreAllServed) {
  TestServer s;
  std::vector<std::thread> clients;
  std::atomic<int> ok{0};
  for (int i = 0; i < 24; ++i)
    clients.emplace_back([&, i] {
      const bool stream = i % 2 == 0;
      const auto r = s.post("/v1/chat/completions", chat_body("client " + std::to_string(i), 8, {{"stream", stream}}).dump());
      if (r.status == 200 && (stream ? r.body.find("[DONE]") != std::string::npos : json::parse(r.body)["usage"]["completion_tokens"] == 8))
        ++ok;
    });
  for (auto& t : clients) t.join();
  EXPECT_EQ(ok.load(), 24);
  EXPECT_GT(s.metric("turbine_steps_total"), 0);
}

TEST(OpenAiFrontend, ModelsTokenizeDetokenizeHealthMetrics) {
  TestServer s;
  const json models = json::parse(s.get("/v1/models").body);
  ASSERT_EQ(models["data"].size(), 1u);
  EXPECT_EQ(models["data"][0]["id"], "test");
  const json t = json::parse(s.post("/tokenize", json{{"model", "test"}, {"prompt", "Hello world"}}.dump()).body);
  const json d = json::parse(s.post("/detokenize", json{{"model", "test"}, {"tokens", t["tokens"]}}.dump()).body);
  EXPECT_EQ(d["prompt"].get<std::string>(), "Hello world");  // this tokenizer file adds no BOS
  EXPECT_EQ(s.get("/health").status, 200);
  s.post("/v1/completions", json{{"model", "test"}, {"prompt", "x"}, {"max_tokens", 2}}.dump());
  const std::string m = s.get("/metrics").body;
  for (const char* name : {"vllm:num_requests_running", "vllm:num_requests_waiting", "vllm:kv_cache_usage_perc",
                           "vllm:prefix_cache_queries_total", "vllm:prefix_cache_hits_total", "vllm:prompt_tokens_total",
                           "vllm:generation_tokens_total", "vllm:num_preemptions_total",
                           "vllm:time_to_first_token_seconds_bucket", "vllm:inter_token_latency_seconds_bucket",
                           "vllm:e2e_request_latency_seconds_bucket", "vllm:request_queue_time_seconds_bucket",
                           "turbine_batch_size", "turbine_step_time_seconds_bucket", "turbine_token_budget",
                           "turbine_prompt_chunks_total"})
    EXPECT_NE(m.find(std::string(name) + "{"), std::string::npos) << name;
  EXPECT_EQ(s.metric("vllm:generation_tokens_total"), 2);
}

}  // namespace
}  // namespace turbine::testing
