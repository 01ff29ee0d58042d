// The pieces of Prometheus' text exposition format 0.0.4: metric and label names, escaped
// label values and HELP text, and numbers written the way prometheus_client (vLLM's exporter)
// writes them, so `le` labels read the same as vLLM's. Pure functions; any thread.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace turbine::telemetry {

// Label name/value pairs, written in the order given: {{"model_name", "llama"}}.
using Labels = std::vector<std::pair<std::string, std::string>>;

bool is_valid_metric_name(std::string_view name);  // [a-zA-Z_:][a-zA-Z0-9_:]*
bool is_valid_label_name(std::string_view name);   // [a-zA-Z_][a-zA-Z0-9_]*, not starting "__"

// A label value with backslash, double quote and newline escaped (\\, \", \n).
std::string escape_label_value(std::string_view value);
// HELP text with backslash and newline escaped.
std::string escape_help(std::string_view help);

// A sample value or bound: "+Inf", "-Inf", "NaN", otherwise Python's repr() ("1.0", "0.001",
// "1e-05") with Go's exponent from 1e6 up ("1e+06"), as prometheus_client writes floats.
std::string format_value(double value);

// {name="value",...} for `labels`, plus `extra` (histogram's le) last; "" when both are empty.
std::string format_labels(const Labels& labels, const std::pair<std::string, std::string>* extra = nullptr);

}  // namespace turbine::telemetry
