// Each subcommand registers itself on the root CLI11 app; main() only dispatches.
#pragma once

#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "base/dtype.h"
#include "base/status.h"

namespace turbine::cli {

void add_model_command(CLI::App& app);     // model info | tokenize | make-test
void add_generate_command(CLI::App& app);  // generate
void add_make_test_command(CLI::App& model);  // model make-test
void add_serve_command(CLI::App& app);     // serve
// bench; `command_line` (the whole argv) goes into --output files so a run can be repeated.
void add_bench_command(CLI::App& app, std::vector<std::string> command_line);

// --kv-dtype of serve and generate: "f16", "bf16", "f32" or "q8_0"; anything else is an error.
Result<DType> parse_kv_dtype(const std::string& s);
inline constexpr const char* kKvDtypeHelp =
    "KV cache element type: f16, bf16, f32 or q8_0 (int8 blocks of 32, about half of f16; "
    "needs head_dim a multiple of 32)";

// The built-in demo model (random weights, the real Llama 3 tokenizer and chat template), written
// once to <repo>/models/demo; its path.
Result<std::string> ensure_demo_model();

}  // namespace turbine::cli
