// The registry's history and its place in the store: every change (an automatic rollback, an
// admin's weight change...) is kept as an event under /turbine/registry/events/, so any process
// can show what happened and why. Also the store keys of the registry. Value types; any thread.
//
//   /turbine/registry/models/<name>       JSON ModelEntry (model_entry.h)
//   /turbine/registry/aliases/<alias>     the model name, as plain text
//   /turbine/registry/events/<id>         JSON RegistryEvent; ids sort in time order
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include <nlohmann/json_fwd.hpp>

#include "base/status.h"

namespace turbine::registry {

inline constexpr std::string_view kRegistryPrefix = "/turbine/registry/";
inline constexpr std::string_view kModelsPrefix = "/turbine/registry/models/";
inline constexpr std::string_view kAliasesPrefix = "/turbine/registry/aliases/";
inline constexpr std::string_view kEventsPrefix = "/turbine/registry/events/";

std::string model_key(std::string_view name);
std::string alias_key(std::string_view alias);
// "<unix microseconds, 20 digits>-<16 hex digits of `nonce`>": two processes writing in the same
// microsecond get distinct keys, and key order is time order.
std::string event_key(int64_t time_us, uint64_t nonce);

struct RegistryEvent {
  int64_t time_ms = 0;  // Unix time, milliseconds
  std::string kind = {};  // "rollback", "put_model", "set_weight", "set_stable", "remove_version",
                          // "remove_model", "set_alias", "remove_alias"
  std::string model = {};
  std::string version = {};  // empty when the event is about a whole model or an alias
  std::string reason = {};  // rollback: the figures; otherwise what changed ("weight 10 -> 0")
};

// {"time": "2025-01-02T03:04:05.678Z", "time_ms": ..., "kind", "model", "version", "reason"}
nlohmann::json to_json(const RegistryEvent& event);
// kInvalidArgument naming the field; "time" is not read back (time_ms is the value).
Result<RegistryEvent> registry_event_from_json(const nlohmann::json& json);

// "2025-01-02T03:04:05.678Z"
std::string format_utc_time(int64_t time_ms);

}  // namespace turbine::registry
