// turbine: one binary, several subcommands (shared/DESIGN.md, "Roles").
#include <cstdio>
#include <string>
#include <vector>

#include "cli/commands.h"

int main(int argc, char** argv) {
  CLI::App app{"turbine: an inference operating system for large language models"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "turbine 0.1.0");
  turbine::cli::add_model_command(app);
  turbine::cli::add_generate_command(app);
  turbine::cli::add_serve_command(app);
  turbine::cli::add_worker_command(app);
  turbine::cli::add_frontend_command(app);
  turbine::cli::add_models_command(app);
  turbine::cli::add_bench_command(app, std::vector<std::string>(argv, argv + argc));
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  return 0;
}
