#include "api/chat_tools.h"

namespace turbine::api {
namespace {

ApiResult<ToolDefinition> read_tool(const nlohmann::json& tool, const std::string& where) {
  if (!tool.is_object()) return invalid_request("'" + where + "' must be an object", where);
  FieldReader r(tool, where + ".");
  const std::optional<std::string> type = r.string("type");
  if (!r.failed() && type.value_or("") != "function") r.fail("type", "'" + r.param("type") + "' must be 'function'");
  const nlohmann::json* function = r.object("function");
  if (!r.failed() && !function) r.fail("function", "'" + r.param("function") + "' is required");
  if (r.failed()) return r.error();
  FieldReader f(*function, where + ".function.");
  ToolDefinition out;
  if (auto v = f.string("name")) out.name = std::move(*v);
  if (!f.failed() && out.name.empty()) f.fail("name", "'" + f.param("name") + "' is required");
  if (auto v = f.string("description")) out.description = std::move(*v);
  if (const nlohmann::json* p = f.object("parameters")) out.parameters = *p;
  if (f.failed()) return f.error();
  return out;
}

bool has_tool(const std::vector<ToolDefinition>& tools, const std::string& name) {
  for (const ToolDefinition& t : tools) {
    if (t.name == name) return true;
  }
  return false;
}

// A named choice: {"type":"function","function":{"name":...}}.
void read_named_choice(FieldReader& reader, const nlohmann::json& choice, const std::vector<ToolDefinition>& tools) {
  FieldReader r(choice, "tool_choice.");
  const std::optional<std::string> type = r.string("type");
  if (!r.failed() && type.value_or("") != "function") r.fail("type", "'tool_choice.type' must be 'function'");
  const nlohmann::json* function = r.object("function");
  if (!r.failed() && !function) r.fail("function", "'tool_choice.function' is required");
  if (!r.failed()) {
    FieldReader f(*function, "tool_choice.function.");
    const std::optional<std::string> name = f.string("name");
    if (!f.failed() && !name) f.fail("name", "'tool_choice.function.name' is required");
    if (!f.failed() && !has_tool(tools, *name)) {
      f.fail("name", "'tool_choice' names the function '" + *name + "', which is not in 'tools'");
    }
    if (f.failed()) r.fail(f.error());
  }
  if (r.failed()) reader.fail(r.error());
}

void read_tool_choice(FieldReader& reader, const std::vector<ToolDefinition>& tools, nlohmann::json* out) {
  *out = tools.empty() ? "none" : "auto";
  const nlohmann::json* choice = reader.failed() ? nullptr : reader.value("tool_choice");
  if (!choice) return;
  if (choice->is_string()) {
    const std::string& s = choice->get_ref<const std::string&>();
    if (s != "none" && s != "auto" && s != "required") {
      reader.fail("tool_choice", "'tool_choice' must be 'none', 'auto', 'required' or a function, got '" + s + "'");
    } else if (s == "required" && tools.empty()) {
      reader.fail("tool_choice", "'tool_choice' is 'required' but no 'tools' were given");
    } else {
      *out = s;
    }
    return;
  }
  if (!choice->is_object()) {
    reader.fail("tool_choice", "'tool_choice' must be a string or an object, got " + json_type_name(*choice));
    return;
  }
  read_named_choice(reader, *choice, tools);
  if (!reader.failed()) *out = *choice;
}

}  // namespace

void read_tools(FieldReader& reader, std::vector<ToolDefinition>* tools, nlohmann::json* tool_choice) {
  if (const nlohmann::json* list = reader.array("tools")) {
    for (size_t i = 0; i < list->size(); ++i) {
      ApiResult<ToolDefinition> tool = read_tool((*list)[i], "tools[" + std::to_string(i) + "]");
      if (!tool) return reader.fail(tool.error());
      tools->push_back(std::move(tool).value());
    }
  }
  read_tool_choice(reader, *tools, tool_choice);
}

nlohmann::json tools_for_template(const std::vector<ToolDefinition>& tools) {
  if (tools.empty()) return nullptr;
  nlohmann::json out = nlohmann::json::array();
  for (const ToolDefinition& t : tools) {
    nlohmann::json function = {{"name", t.name}};
    if (!t.description.empty()) function["description"] = t.description;
    if (!t.parameters.is_null()) function["parameters"] = t.parameters;
    out.push_back({{"type", "function"}, {"function", std::move(function)}});
  }
  return out;
}

}  // namespace turbine::api
