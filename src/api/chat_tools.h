// The tools a chat request offers the model and its tool_choice: checked, typed, and as the JSON
// a chat template renders. Value types; any thread.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "api/field_reader.h"

namespace turbine::api {

// One {"type":"function","function":{...}} entry of "tools".
struct ToolDefinition {
  std::string name{};
  std::string description{};    // "": none
  nlohmann::json parameters{};  // JSON Schema object; null when not given
};

// Reads "tools" and "tool_choice" into *tools and *tool_choice. tool_choice is kept as JSON:
// "none", "auto", "required", or {"type":"function","function":{"name":...}} naming one of the
// tools; unset it becomes "auto" when there are tools and "none" when there are none (OpenAI).
// "required" and a named function need tools.
void read_tools(FieldReader& reader, std::vector<ToolDefinition>* tools, nlohmann::json* tool_choice);

// The tools as a chat template expects them; null when there are none (templates test
// `tools is not none`).
nlohmann::json tools_for_template(const std::vector<ToolDefinition>& tools);

}  // namespace turbine::api
