// Each subcommand registers itself on the root CLI11 app; main() only dispatches.
#pragma once

#include <csignal>
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
void add_worker_command(CLI::App& app);    // worker
void add_frontend_command(CLI::App& app);  // frontend
// bench; `command_line` (the whole argv) goes into --output files so a run can be repeated.
void add_bench_command(CLI::App& app, std::vector<std::string> command_line);

// Long-running commands take SIGINT/SIGTERM with sigwait: block_stop_signals() before any thread
// starts (threads inherit the mask), wait_for_stop() then returns the signal's name.
sigset_t block_stop_signals();
const char* wait_for_stop(const sigset_t& signals);
// "turbine: <message>" on stderr; returns 1, the exit status of a command that failed.
int command_error(const std::string& message);

inline constexpr const char* kAdminKeyHelp =
    "bearer key for the model registry's admin API (/admin/...; default: $TURBINE_ADMIN_KEY; none: the API is off)";
// --admin-key's value, else $TURBINE_ADMIN_KEY, else "".
std::string admin_key_or_env(const std::string& flag);
// `turbine serve`'s default store: an SQLite file under $XDG_STATE_HOME (or ~/.local/state)/turbine,
// its directory created.
Result<std::string> default_state_store();
void add_models_command(CLI::App& app);    // models: the registry's admin API from the shell

// --kv-dtype of serve and generate: "f16", "bf16", "f32" or "q8_0"; anything else is an error.
Result<DType> parse_kv_dtype(const std::string& s);
inline constexpr const char* kRouterPolicyHelp =
    "how requests pick an instance: round-robin, least-loaded, latency (EWMA of TTFT and ITL) or kv (cached prefix + load)";
inline constexpr const char* kKvDtypeHelp =
    "KV cache element type: f16, bf16, f32 or q8_0 (int8 blocks of 32, about half of f16; "
    "needs head_dim a multiple of 32)";

// The built-in demo model (random weights, the real Llama 3 tokenizer and chat template), written
// once to <repo>/models/demo; its path.
Result<std::string> ensure_demo_model();

}  // namespace turbine::cli
