#include "telemetry/metrics_registry.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

namespace turbine::telemetry {
namespace {

TEST(MetricsRegistryTest, RendersExactText) {
  MetricsRegistry registry;
  registry.counter("vllm:prompt_tokens_total", "Number of prefill tokens processed.")
      .labels({{"model_name", "llama"}})
      .inc(5);
  GaugeFamily& running = registry.gauge("vllm:num_requests_running", "Number of requests running.");
  running.labels({{"model_name", "llama"}}).set(2);
  running.labels({{"model_name", "qwen"}}).inc();
  Histogram& ttft = registry.histogram("vllm:time_to_first_token_seconds", "Time to first token.", {0.1, 1.0})
                        .labels({{"model_name", "llama"}});
  for (double v : {0.0625, 0.5, 3.0}) ttft.observe(v);
  registry.gauge("turbine_up", "1 while serving.\nSecond line \\ here.").labels().set(1);
  registry.counter("turbine_unused_total", "No children yet.");

  EXPECT_EQ(registry.render(),
            "# HELP vllm:prompt_tokens_total Number of prefill tokens processed.\n"
            "# TYPE vllm:prompt_tokens_total counter\n"
            "vllm:prompt_tokens_total{model_name=\"llama\"} 5.0\n"
            "# HELP vllm:num_requests_running Number of requests running.\n"
            "# TYPE vllm:num_requests_running gauge\n"
            "vllm:num_requests_running{model_name=\"llama\"} 2.0\n"
            "vllm:num_requests_running{model_name=\"qwen\"} 1.0\n"
            "# HELP vllm:time_to_first_token_seconds Time to first token.\n"
            "# TYPE vllm:time_to_first_token_seconds histogram\n"
            "vllm:time_to_first_token_seconds_bucket{model_name=\"llama\",le=\"0.1\"} 1.0\n"
            "vllm:time_to_first_token_seconds_bucket{model_name=\"llama\",le=\"1.0\"} 2.0\n"
            "vllm:time_to_first_token_seconds_bucket{model_name=\"llama\",le=\"+Inf\"} 3.0\n"
            "vllm:time_to_first_token_seconds_count{model_name=\"llama\"} 3.0\n"
            "vllm:time_to_first_token_seconds_sum{model_name=\"llama\"} 3.5625\n"
            "# HELP turbine_up 1 while serving.\\nSecond line \\\\ here.\n"
            "# TYPE turbine_up gauge\n"
            "turbine_up 1.0\n"
            "# HELP turbine_unused_total No children yet.\n"
            "# TYPE turbine_unused_total counter\n");
}

TEST(MetricsRegistryTest, EscapesLabelValues) {
  MetricsRegistry registry;
  registry.counter("requests_total", "Requests.").labels({{"path", "C:\\dir \"x\"\nnext"}}).inc(2);
  EXPECT_EQ(registry.render(),
            "# HELP requests_total Requests.\n"
            "# TYPE requests_total counter\n"
            "requests_total{path=\"C:\\\\dir \\\"x\\\"\\nnext\"} 2.0\n");
}

TEST(MetricsRegistryTest, SameNameAndLabelsGiveTheSameMetric) {
  MetricsRegistry registry;
  CounterFamily& a = registry.counter("x_total", "X.");
  CounterFamily& b = registry.counter("x_total", "X.");
  EXPECT_EQ(&a, &b);
  Counter& c1 = a.labels({{"model_name", "m"}});
  Counter& c2 = b.labels({{"model_name", "m"}});
  EXPECT_EQ(&c1, &c2);
  EXPECT_NE(&c1, &a.labels({{"model_name", "n"}}));
  HistogramFamily& h1 = registry.histogram("h_seconds", "H.", {1.0, 2.0});
  EXPECT_EQ(&h1, &registry.histogram("h_seconds", "H.", {1.0, 2.0}));
}

TEST(MetricsRegistryTest, GaugeGoesBothWays) {
  MetricsRegistry registry;
  Gauge& g = registry.gauge("g", "G.").labels();
  g.inc(3);
  g.dec();
  EXPECT_EQ(g.value(), 2.0);
  g.set(-0.5);
  EXPECT_EQ(g.value(), -0.5);
}

TEST(MetricsRegistryDeathTest, RejectsProgrammingErrors) {
  EXPECT_DEATH(MetricsRegistry().counter("bad-name", "x"), "invalid Prometheus metric name");
  EXPECT_DEATH(
      {
        MetricsRegistry r;
        r.counter("dup", "x");
        r.gauge("dup", "x");
      },
      "already registered as a counter");
  EXPECT_DEATH(MetricsRegistry().histogram("h", "x", {1.0}).labels({{"le", "1"}}), "reserved");
  EXPECT_DEATH(MetricsRegistry().counter("c", "x").labels({{"a b", "1"}}), "invalid Prometheus label name");
  EXPECT_DEATH(MetricsRegistry().counter("c", "x").labels().inc(-1.0), "negative");
}

// Writers on several threads while another renders: no count is lost, and every rendered
// histogram is self-consistent (its +Inf bucket equals its count).
TEST(MetricsRegistryTest, ConcurrentUpdatesWhileRendering) {
  MetricsRegistry registry;
  Counter& tokens = registry.counter("tokens_total", "Tokens.").labels({{"model_name", "m"}});
  Histogram& itl = registry.histogram("itl_seconds", "ITL.", {0.01, 0.1}).labels({{"model_name", "m"}});
  Gauge& running = registry.gauge("running", "Running.").labels({{"model_name", "m"}});
  constexpr int kThreads = 4;
  constexpr int kPerThread = 50000;
  std::atomic<bool> done{false};
  std::atomic<int> renders{0};
  std::thread renderer([&] {
    while (!done.load()) {
      const std::string text = registry.render();
      const size_t inf = text.find("itl_seconds_bucket{model_name=\"m\",le=\"+Inf\"} ");
      const size_t count = text.find("itl_seconds_count{model_name=\"m\"} ");
      ASSERT_NE(inf, std::string::npos);
      ASSERT_NE(count, std::string::npos);
      const double inf_value = std::strtod(text.c_str() + text.find("} ", inf) + 2, nullptr);
      const double count_value = std::strtod(text.c_str() + text.find("} ", count) + 2, nullptr);
      EXPECT_EQ(inf_value, count_value);
      renders.fetch_add(1);
    }
  });
  while (renders.load() == 0) std::this_thread::yield();  // the renderer is running
  std::vector<std::thread> writers;
  for (int t = 0; t < kThreads; ++t) {
    writers.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        tokens.inc();
        itl.observe(i % 3 == 0 ? 0.005 : t == 0 ? 0.05 : 0.5);
        running.inc();
        running.dec();
      }
    });
  }
  for (std::thread& w : writers) w.join();
  done.store(true);
  renderer.join();
  EXPECT_GT(renders.load(), 0);

  EXPECT_EQ(tokens.value(), double(kThreads * kPerThread));
  EXPECT_EQ(running.value(), 0.0);
  const Histogram::Snapshot s = itl.snapshot();
  EXPECT_EQ(s.count, uint64_t(kThreads * kPerThread));
  const uint64_t small = uint64_t(kThreads) * ((kPerThread + 2) / 3);  // i % 3 == 0: 0.005
  EXPECT_EQ(s.cumulative[0], small);
  EXPECT_EQ(s.cumulative[1], small + (uint64_t(kPerThread) - (kPerThread + 2) / 3));  // thread 0: 0.05
  const std::string text = registry.render();
  EXPECT_NE(text.find("tokens_total{model_name=\"m\"} 200000.0\n"), std::string::npos) << text;
  EXPECT_NE(text.find("itl_seconds_count{model_name=\"m\"} 200000.0\n"), std::string::npos) << text;
}

}  // namespace
}  // namespace turbine::telemetry
