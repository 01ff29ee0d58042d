// Each subcommand registers itself on the root CLI11 app; main() only dispatches.
#pragma once

#include <string>

#include <CLI/CLI.hpp>

#include "base/status.h"

namespace turbine::cli {

void add_model_command(CLI::App& app);     // model info | tokenize | make-test
void add_generate_command(CLI::App& app);  // generate
void add_make_test_command(CLI::App& model);  // model make-test
void add_serve_command(CLI::App& app);     // serve

// The built-in demo model (random weights, the real Llama 3 tokenizer and chat template), written
// once to <repo>/models/demo; its path.
Result<std::string> ensure_demo_model();

}  // namespace turbine::cli
