#include "telemetry/prometheus_text.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

namespace turbine::telemetry {
namespace {

TEST(PrometheusTextTest, FormatsValuesAsPrometheusClientDoes) {
  EXPECT_EQ(format_value(0.0), "0.0");
  EXPECT_EQ(format_value(1.0), "1.0");
  EXPECT_EQ(format_value(5.0), "5.0");
  EXPECT_EQ(format_value(0.001), "0.001");
  EXPECT_EQ(format_value(0.075), "0.075");
  EXPECT_EQ(format_value(0.1), "0.1");
  EXPECT_EQ(format_value(0.0001), "0.0001");
  EXPECT_EQ(format_value(1e-05), "1e-05");
  EXPECT_EQ(format_value(2560.0), "2560.0");
  EXPECT_EQ(format_value(123456.0), "123456.0");
  EXPECT_EQ(format_value(-1.5), "-1.5");
  EXPECT_EQ(format_value(1.0 / 3.0), "0.3333333333333333");
  EXPECT_EQ(format_value(1e6), "1e+06");  // Go's exponent from 1e6 up
  EXPECT_EQ(format_value(1234567.5), "1.2345675e+06");
  EXPECT_EQ(format_value(1e16), "1e+16");
  EXPECT_EQ(format_value(-2e6), "-2000000.0");
  EXPECT_EQ(format_value(std::numeric_limits<double>::infinity()), "+Inf");
  EXPECT_EQ(format_value(-std::numeric_limits<double>::infinity()), "-Inf");
  EXPECT_EQ(format_value(std::nan("")), "NaN");
}

TEST(PrometheusTextTest, FormattedValuesRoundTrip) {
  for (double v : {0.3, 7680.0, 1e-9, 9007199254740993.0, 123.456, 1e300, 6.02214076e23}) {
    EXPECT_EQ(std::strtod(format_value(v).c_str(), nullptr), v) << format_value(v);
  }
}

TEST(PrometheusTextTest, EscapesLabelValuesAndHelp) {
  EXPECT_EQ(escape_label_value("a\\b\"c\nd"), "a\\\\b\\\"c\\nd");
  EXPECT_EQ(escape_label_value("plain/ok:1"), "plain/ok:1");
  EXPECT_EQ(escape_help("line one\nback\\slash \"quoted\""), "line one\\nback\\\\slash \"quoted\"");
}

TEST(PrometheusTextTest, FormatsLabelSets) {
  EXPECT_EQ(format_labels({}), "");
  EXPECT_EQ(format_labels({{"model_name", "llama"}, {"engine", "0"}}), "{model_name=\"llama\",engine=\"0\"}");
  const std::pair<std::string, std::string> le{"le", "0.5"};
  EXPECT_EQ(format_labels({{"model_name", "x"}}, &le), "{model_name=\"x\",le=\"0.5\"}");
  EXPECT_EQ(format_labels({}, &le), "{le=\"0.5\"}");
}

TEST(PrometheusTextTest, ChecksNames) {
  EXPECT_TRUE(is_valid_metric_name("vllm:num_requests_running"));
  EXPECT_TRUE(is_valid_metric_name("_x1"));
  EXPECT_FALSE(is_valid_metric_name(""));
  EXPECT_FALSE(is_valid_metric_name("1abc"));
  EXPECT_FALSE(is_valid_metric_name("a-b"));
  EXPECT_TRUE(is_valid_label_name("model_name"));
  EXPECT_FALSE(is_valid_label_name("model:name"));
  EXPECT_FALSE(is_valid_label_name("__reserved"));
  EXPECT_FALSE(is_valid_label_name("9lives"));
}

}  // namespace
}  // namespace turbine::telemetry
