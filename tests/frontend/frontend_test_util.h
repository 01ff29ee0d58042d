// Shared by the frontend tests: a served test model behind an OpenAiFrontend on port 0, and
// small HTTP helpers over turbine's own client.
#pragma once

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "frontend/local_serving.h"
#include "frontend/openai_frontend.h"
#include "http/client.h"
#include "http/sse.h"
#include "tests/engine/engine_test_util.h"

namespace turbine::testing {

struct TestServer {
  std::shared_ptr<ServedModel> model;
  std::unique_ptr<LocalServing> serving;
  std::unique_ptr<OpenAiFrontend> frontend;
  std::string base;

  explicit TestServer(EngineOptions eo = {}, FrontendOptions fo = {}) {
    if (eo.kv_cache_bytes == 0) eo.kv_cache_bytes = int64_t(1024) * 16 * 512;
    eo.backend.num_threads = 2;
    auto m = load_served_model(make_test_model("llama3", "gguf", "q8_0"), "test", eo);
    EXPECT_TRUE(m.is_ok()) << m.status().message();
    model = std::move(*m);
    auto s = LocalServing::create({model});
    EXPECT_TRUE(s.is_ok()) << s.status().message();
    serving = std::move(*s);
    frontend = std::make_unique<OpenAiFrontend>(serving->parts(), fo);
    EXPECT_TRUE(frontend->start("127.0.0.1", 0).is_ok());
    base = "http://127.0.0.1:" + std::to_string(frontend->port());
  }
  ~TestServer() { frontend->stop(); }

  http::ClientResponse post(const std::string& path, const std::string& body) const {
    http::ClientRequest r;
    r.method = "POST";
    r.url = base + path;
    r.headers = {{"content-type", "application/json"}};
    r.body = body;
    r.timeout = std::chrono::milliseconds(120'000);
    auto resp = http::fetch(r);
    EXPECT_TRUE(resp.is_ok()) << resp.status().message();
    return resp.is_ok() ? *resp : http::ClientResponse{};
  }
  http::ClientResponse get(const std::string& path) const {
    http::ClientRequest r;
    r.url = base + path;
    auto resp = http::fetch(r);
    EXPECT_TRUE(resp.is_ok()) << resp.status().message();
    return resp.is_ok() ? *resp : http::ClientResponse{};
  }
  // The value of a metric line `name{model_name="test"}` in /metrics.
  double metric(const std::string& name) const {
    const std::string text = get("/metrics").body;
    const std::string key = name + "{model_name=\"test\"} ";
    const size_t at = text.find(key);
    if (at == std::string::npos) return -1;
    return std::stod(text.substr(at + key.size()));
  }
};

inline nlohmann::json chat_body(const std::string& content, int max_tokens, nlohmann::json extra = nlohmann::json::object()) {
  nlohmann::json j = {{"model", "test"},
                      {"messages", {{{"role", "user"}, {"content", content}}}},
                      {"max_tokens", max_tokens},
                      {"temperature", 0}};
  for (auto& [k, v] : extra.items()) j[k] = v;
  return j;
}

}  // namespace turbine::testing
