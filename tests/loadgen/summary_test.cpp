// Statistics, SLO parsing and goodput, and a run's summary from known records.
#include "loadgen/summary.h"

#include <gtest/gtest.h>

namespace turbine::loadgen {
namespace {

TEST(Summarize, PercentilesInterpolateBetweenRanks) {
  // numpy.percentile([1..10], [50, 90, 99]) = 5.5, 9.1, 9.91
  std::vector<double> v = {10, 3, 1, 2, 8, 4, 9, 5, 7, 6};
  LatencyStats s = summarize(v);
  EXPECT_EQ(s.count, 10);
  EXPECT_DOUBLE_EQ(s.mean, 5.5);
  EXPECT_DOUBLE_EQ(s.p50, 5.5);
  EXPECT_NEAR(s.p90, 9.1, 1e-12);
  EXPECT_NEAR(s.p99, 9.91, 1e-12);
  EXPECT_DOUBLE_EQ(s.min, 1);
  EXPECT_DOUBLE_EQ(s.max, 10);
  EXPECT_NEAR(s.stddev, 2.8722813232690143, 1e-12);
  EXPECT_EQ(summarize({}).count, 0);
  EXPECT_DOUBLE_EQ(summarize({4.0}).p99, 4.0);
}

TEST(Slo, ParsesKeysAndRejectsTheRest) {
  auto slo = parse_slo("ttft_ms=500,itl_ms=50,max_itl_ms=200,tpot_ms=40,e2e_ms=9000");
  ASSERT_TRUE(slo.is_ok()) << slo.status().message();
  EXPECT_EQ(*slo->ttft_ms, 500);
  EXPECT_EQ(*slo->itl_ms, 50);
  EXPECT_EQ(*slo->max_itl_ms, 200);
  EXPECT_EQ(*slo->tpot_ms, 40);
  EXPECT_EQ(*slo->e2e_ms, 9000);
  EXPECT_EQ(parse_slo(slo->spec())->spec(), slo->spec());
  for (const char* bad : {"", "ttft=5", "ttft_ms", "ttft_ms=", "ttft_ms=-1", "ttft_ms=abc", "ttft_ms=5,"}) {
    EXPECT_FALSE(parse_slo(bad).is_ok()) << bad;
  }
}

RequestRecord record(double sent, double first, double done, std::vector<float> gaps, int64_t out) {
  RequestRecord r;
  r.arrival_s = sent;
  r.sent_s = sent;
  r.first_token_s = first;
  r.done_s = done;
  r.itl_s = std::move(gaps);
  r.output_tokens = out;
  r.prompt_tokens = 10;
  r.usage_reported = true;
  return r;
}

TEST(Slo, EachObjectiveJudgesItsOwnMetric) {
  // TTFT 100 ms, gaps 20/20/80 ms (mean 40, max 80), TPOT (400-100)/3 = 100 ms, E2E 400 ms.
  RequestRecord r = record(0.0, 0.1, 0.4, {0.02f, 0.02f, 0.08f}, 4);
  auto met = [&](const char* spec) { return parse_slo(spec)->met_by(r); };
  EXPECT_TRUE(met("ttft_ms=100"));
  EXPECT_FALSE(met("ttft_ms=99"));
  EXPECT_TRUE(met("itl_ms=41"));
  EXPECT_FALSE(met("itl_ms=39"));
  EXPECT_TRUE(met("max_itl_ms=81"));
  EXPECT_FALSE(met("max_itl_ms=79"));
  EXPECT_TRUE(met("tpot_ms=101"));
  EXPECT_FALSE(met("tpot_ms=99"));
  EXPECT_TRUE(met("e2e_ms=401"));
  EXPECT_FALSE(met("e2e_ms=399"));
  r.error_kind = "http_500";
  EXPECT_FALSE(met("e2e_ms=100000"));  // a failed request never meets an SLO
}

TEST(SummarizeRun, ThroughputGoodputAndErrorsFromRecords) {
  std::vector<RequestRecord> records = {
      record(0.0, 0.1, 1.0, {0.1f, 0.1f}, 3),
      record(0.5, 0.9, 2.0, {0.2f}, 2),
      record(1.0, 1.2, 1.6, {0.1f, 0.1f, 0.1f}, 4),
  };
  RequestRecord failed = record(1.5, -1, 1.7, {}, 0);
  failed.error_kind = "http_429";
  failed.error_message = "slow down";
  records.push_back(failed);
  ClientCost cost;
  cost.cpu_s = 0.02;
  cost.num_events = 100;
  RunSummary s = summarize_run(records, *parse_slo("ttft_ms=300"), cost);
  EXPECT_DOUBLE_EQ(s.duration_s, 2.0);
  EXPECT_EQ(s.num_succeeded, 3);
  EXPECT_EQ(s.num_failed, 1);
  EXPECT_EQ(s.errors_by_kind.at("http_429"), 1);
  EXPECT_EQ(s.error_examples.at("http_429"), "slow down");
  EXPECT_EQ(s.output_tokens, 9);
  EXPECT_EQ(s.input_tokens, 30);
  EXPECT_DOUBLE_EQ(s.request_throughput, 1.5);
  EXPECT_DOUBLE_EQ(s.output_throughput, 4.5);
  EXPECT_DOUBLE_EQ(s.total_token_throughput, 19.5);
  EXPECT_EQ(s.num_good, 2);  // TTFTs 100, 400, 200 ms against 300
  EXPECT_DOUBLE_EQ(s.goodput, 1.0);
  EXPECT_EQ(s.ttft_ms.count, 3);
  EXPECT_NEAR(s.ttft_ms.mean, (100.0 + 400.0 + 200.0) / 3, 1e-9);
  EXPECT_EQ(s.itl_ms.count, 6);
  EXPECT_NEAR(s.tpot_ms.p50, 450.0, 1e-6);  // (0.9/2, 1.1/1, 0.4/3) s -> 450, 1100, 133 ms
  EXPECT_DOUBLE_EQ(s.max_in_flight, 3);  // 1.5..1.6: requests 1, 2 and 3
  EXPECT_DOUBLE_EQ(s.client_cpu_percent, 1.0);
  EXPECT_DOUBLE_EQ(s.client_us_per_event, 200.0);
  EXPECT_EQ(s.num_short_outputs, 0);
  records[0].requested_output_tokens = 5;  // asked 5, got 3: the server stopped early
  EXPECT_EQ(summarize_run(records, Slo{}, cost).num_short_outputs, 1);
  EXPECT_TRUE(to_json(s)["goodput"].is_number());
  EXPECT_TRUE(to_json(summarize_run(records, Slo{}, cost))["goodput"].is_null());
}

}  // namespace
}  // namespace turbine::loadgen
