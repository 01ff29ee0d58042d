#include "registry/registry_event.h"

#include <cinttypes>
#include <cstdio>
#include <ctime>

#include <nlohmann/json.hpp>

namespace turbine::registry {

std::string model_key(std::string_view name) { return std::string(kModelsPrefix).append(name); }

std::string alias_key(std::string_view alias) { return std::string(kAliasesPrefix).append(alias); }

std::string event_key(int64_t time_us, uint64_t nonce) {
  char id[64];
  std::snprintf(id, sizeof id, "%020" PRId64 "-%016" PRIx64, time_us < 0 ? 0 : time_us, nonce);
  return std::string(kEventsPrefix).append(id);
}

std::string format_utc_time(int64_t time_ms) {
  std::time_t seconds = static_cast<std::time_t>(time_ms / 1000);
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char date[32];
  std::strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%S", &utc);
  char out[48];
  std::snprintf(out, sizeof out, "%s.%03dZ", date, static_cast<int>(time_ms % 1000));
  return out;
}

nlohmann::json to_json(const RegistryEvent& event) {
  return {{"time", format_utc_time(event.time_ms)},
          {"time_ms", event.time_ms},
          {"kind", event.kind},
          {"model", event.model},
          {"version", event.version},
          {"reason", event.reason}};
}

Result<RegistryEvent> registry_event_from_json(const nlohmann::json& json) {
  if (!json.is_object()) return invalid_argument("event: expected a JSON object");
  RegistryEvent event;
  auto time_ms = json.find("time_ms");
  if (time_ms == json.end() || !time_ms->is_number_integer()) {
    return invalid_argument("event.time_ms: expected an integer");
  }
  event.time_ms = time_ms->get<int64_t>();
  for (auto [field, out] : {std::pair{"kind", &event.kind}, std::pair{"model", &event.model},
                            std::pair{"version", &event.version}, std::pair{"reason", &event.reason}}) {
    auto it = json.find(field);
    if (it == json.end() || it->is_null()) continue;
    if (!it->is_string()) return invalid_argument(std::string("event.") + field + ": expected a string");
    *out = it->get<std::string>();
  }
  if (event.kind.empty()) return invalid_argument("event.kind: required");
  return event;
}

}  // namespace turbine::registry
