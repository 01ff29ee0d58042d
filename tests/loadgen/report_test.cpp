// The end-of-run table, the --output document read back, --compare, and the progress line.
#include "loadgen/report.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <vector>

namespace turbine::loadgen {
namespace {

RunSummary example_summary(double ttft_p99, double throughput) {
  RunSummary s;
  s.duration_s = 10;
  s.num_requests = s.num_succeeded = 20;
  s.request_throughput = throughput;
  s.ttft_ms.count = 20;
  s.ttft_ms.p99 = ttft_p99;
  s.ttft_ms.mean = ttft_p99 / 2;
  return s;
}

TEST(Report, TableShowsEveryLatencyRowAndErrors) {
  RunSummary s = example_summary(120, 2);
  s.num_failed = 1;
  s.errors_by_kind["http_429"] = 1;
  s.error_examples["http_429"] = "slow down";
  const std::string table = format_summary_table(s, "ttft_ms=100");
  for (const char* row : {"TTFT", "TPOT", "ITL", "E2E", "queue", "goodput", "client",
                          "error        http_429: 1 (slow down)"}) {
    EXPECT_NE(table.find(row), std::string::npos) << row << "\n" << table;
  }
  EXPECT_EQ(format_summary_table(s, "").find("goodput"), std::string::npos);
}

TEST(Report, DocumentRoundTripsAndComparesWithRatios) {
  const auto dir = std::filesystem::temp_directory_path();
  const std::string pa = (dir / ("tb-report-a-" + std::to_string(::getpid()) + ".json")).string();
  const std::string pb = (dir / ("tb-report-b-" + std::to_string(::getpid()) + ".json")).string();
  nlohmann::ordered_json settings_a = {{"label", "rr"}, {"concurrency", 8}};
  nlohmann::ordered_json settings_b = {{"label", "kv"}, {"concurrency", 8}, {"router", "kv"}};
  std::ofstream(pa) << run_document(settings_a, example_summary(300, 4), nullptr).dump(2);
  std::ofstream(pb) << run_document(settings_b, example_summary(100, 5), nullptr).dump(2);
  auto a = read_run_document(pa);
  auto b = read_run_document(pb);
  ASSERT_TRUE(a.is_ok()) << a.status().message();
  ASSERT_TRUE(b.is_ok()) << b.status().message();
  const std::string text = format_comparison(*a, "A", *b, "B");
  auto line_of = [&](const std::string& label) {
    const size_t at = text.find(label);
    return at == std::string::npos ? std::string() : text.substr(at, text.find('\n', at) - at);
  };
  auto words = [](const std::string& line) {
    std::vector<std::string> out;
    std::istringstream in(line);
    for (std::string w; in >> w;) out.push_back(w);
    return out;
  };
  EXPECT_EQ(words(line_of("TTFT p99 (ms)")),
            (std::vector<std::string>{"TTFT", "p99", "(ms)", "300.00", "100.00", "0.33x", "better"}));
  EXPECT_EQ(words(line_of("request throughput")),
            (std::vector<std::string>{"request", "throughput", "(req/s)", "4.00", "5.00", "1.25x", "better"}));
  EXPECT_EQ(words(line_of("TTFT p50 (ms)")),  // equal: no ratio, no verdict
            (std::vector<std::string>{"TTFT", "p50", "(ms)", "0.00", "0.00", "-"}));
  EXPECT_NE(text.find("router: (none) -> kv"), std::string::npos) << text;
  EXPECT_EQ(text.find("label:"), std::string::npos);          // labels are named above
  EXPECT_EQ(text.find("concurrency:"), std::string::npos);    // equal settings are not listed
}

TEST(Report, ProgressLineFillsWithRequestsOrTime) {
  const std::string half = format_progress_line(5, 50, 1, 8, 1000, 100, 0, 100);
  EXPECT_NE(half.find("50/100 done, 8 in flight, 1 failed, 200 tok/s, 5.0 s"), std::string::npos) << half;
  EXPECT_NE(half.find("[===============> "), std::string::npos) << half;  // 15 of 30 filled, then '>'
  const std::string by_time = format_progress_line(30, 7, 0, 2, 0, 0, 60, 100);
  EXPECT_NE(by_time.find("] 7 done"), std::string::npos) << by_time;
}

}  // namespace
}  // namespace turbine::loadgen
