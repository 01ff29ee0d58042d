// Process plumbing the long-running commands share (commands.h).
#include <cstdio>
#include <cstdlib>
#include <filesystem>

#include "cli/commands.h"

namespace turbine::cli {

sigset_t block_stop_signals() {
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  return signals;
}

const char* wait_for_stop(const sigset_t& signals) {
  int sig = 0;
  sigwait(&signals, &sig);
  return sig == SIGINT ? "SIGINT" : "SIGTERM";
}

int command_error(const std::string& message) {
  std::fprintf(stderr, "turbine: %s\n", message.c_str());
  std::fflush(stderr);
  return 1;
}

std::string admin_key_or_env(const std::string& flag) {
  if (!flag.empty()) return flag;
  const char* env = std::getenv("TURBINE_ADMIN_KEY");
  return env ? env : "";
}

Result<std::string> default_state_store() {
  std::filesystem::path dir;
  if (const char* xdg = std::getenv("XDG_STATE_HOME"); xdg && *xdg) dir = xdg;
  else if (const char* home = std::getenv("HOME"); home && *home) dir = std::filesystem::path(home) / ".local/state";
  else return invalid_argument("no $HOME or $XDG_STATE_HOME for the state store: give --store");
  dir /= "turbine";
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return io_error(dir.string() + ": " + ec.message());
  return "sqlite:" + (dir / "state.db").string();
}

}  // namespace turbine::cli
