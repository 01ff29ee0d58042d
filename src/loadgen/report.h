// How a load run is shown and kept: the table printed at the end, the JSON file written by
// --output (every setting, so the run can be repeated, and the summary), and --compare of two
// such files side by side. Pure functions apart from file reading; any thread.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/status.h"
#include "loadgen/request_record.h"
#include "loadgen/summary.h"

namespace turbine::loadgen {

// The human-readable result. `slo_spec` is "" when no SLO was given.
std::string format_summary_table(const RunSummary& summary, const std::string& slo_spec);

// The --output document. `requests`: the per-request records too (each with its gaps).
nlohmann::ordered_json run_document(const nlohmann::ordered_json& settings,
                                    const RunSummary& summary,
                                    const std::vector<RequestRecord>* requests);

// Reads a --output file back; errors name the file and what is missing.
Result<nlohmann::json> read_run_document(const std::string& path);

// Two runs side by side: each metric of A and B and the ratio B/A, then the settings that
// differ between them.
std::string format_comparison(const nlohmann::json& a, const std::string& a_name,
                              const nlohmann::json& b, const std::string& b_name);

// One line of progress (no newline), e.g. "[=====>    ] 120/200 requests  8 in flight ...".
// total_requests 0: a run bounded by duration_s instead.
std::string format_progress_line(double elapsed_s, int64_t num_done, int64_t num_failed,
                                 int64_t num_in_flight, int64_t output_tokens,
                                 int64_t total_requests, double duration_s, int width);

}  // namespace turbine::loadgen
