// Each subcommand registers itself on the root CLI11 app; main() only dispatches.
#pragma once

#include <CLI/CLI.hpp>

namespace turbine::cli {

void add_model_command(CLI::App& app);     // model info | tokenize | make-test
void add_generate_command(CLI::App& app);  // generate
void add_make_test_command(CLI::App& model);  // model make-test

}  // namespace turbine::cli
