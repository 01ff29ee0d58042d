#include "tokenizer/chat_template.h"

#include <algorithm>
#include <cmath>
#include <new>
#include <utility>
#include <vector>

#include "tokenizer/jinja_ast.h"
#include "tokenizer/jinja_interpreter.h"
#include "tokenizer/jinja_parser.h"
#include "tokenizer/utf8.h"

namespace turbine {

namespace {

using jinja::JinjaError;
using jinja::Value;

// JSON nested deeper than this is refused (the conversion below recurses once per level).
constexpr int kMaxContextDepth = 256;

// "chat template 12:5: message": 1-based line and column (in code points) of `offset`.
std::string error_text(const std::string& source, const JinjaError& e) {
  if (e.offset() == JinjaError::kNoOffset) return std::string("chat template: ") + e.what();
  const size_t offset = std::min(e.offset(), source.size());
  size_t line = 1, column = 1;
  for (size_t i = 0; i < offset;) {
    if (source[i] == '\n') {
      ++line;
      column = 1;
      ++i;
      continue;
    }
    size_t len = 1;
    if (static_cast<unsigned char>(source[i]) >= 0x80) utf8::decode_one(source, i, &len);
    ++column;
    i += len;
  }
  return "chat template " + std::to_string(line) + ":" + std::to_string(column) + ": " + e.what();
}

// A canonical array index ("0", "17", at most 2^32 - 2): JavaScript lists such keys of an object
// first, in numeric order, whatever order they were written in.
bool is_array_index(const std::string& key, double* value) {
  if (key.empty() || key.size() > 10 || (key.size() > 1 && key[0] == '0')) return false;
  double v = 0;
  for (char c : key) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + (c - '0');
  }
  *value = v;
  return v <= 4294967294.0;
}

// The object's entries in the order Object.entries() gives them.
template <typename Json>
std::vector<std::pair<std::string, const Json*>> js_ordered_entries(const Json& object) {
  std::vector<std::pair<double, std::pair<std::string, const Json*>>> indices;
  std::vector<std::pair<std::string, const Json*>> others;
  for (auto it = object.begin(); it != object.end(); ++it) {
    double index = 0;
    if (is_array_index(it.key(), &index)) indices.push_back({index, {it.key(), &it.value()}});
    else others.emplace_back(it.key(), &it.value());
  }
  std::sort(indices.begin(), indices.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<std::pair<std::string, const Json*>> out;
  out.reserve(indices.size() + others.size());
  for (auto& entry : indices) out.push_back(std::move(entry.second));
  for (auto& entry : others) out.push_back(std::move(entry));
  return out;
}

// convertToRuntimeValues(): JSON numbers are doubles, and integral ones are integers.
template <typename Json>
Value from_json(const Json& j, int depth) {
  if (depth > kMaxContextDepth) throw JinjaError("context nested more than " + std::to_string(kMaxContextDepth) + " levels deep");
  switch (j.type()) {
    case nlohmann::json::value_t::null: return Value::null();
    case nlohmann::json::value_t::boolean: return Value::boolean(j.template get<bool>());
    case nlohmann::json::value_t::number_integer: return Value::integer(static_cast<double>(j.template get<int64_t>()));
    case nlohmann::json::value_t::number_unsigned: return Value::integer(static_cast<double>(j.template get<uint64_t>()));
    case nlohmann::json::value_t::number_float: {
      const double v = j.template get<double>();
      return std::isfinite(v) && std::trunc(v) == v ? Value::integer(v) : Value::floating(v);
    }
    case nlohmann::json::value_t::string: return Value::string(j.template get_ref<const std::string&>());
    case nlohmann::json::value_t::array: {
      jinja::Array items;
      items.reserve(j.size());
      for (const auto& item : j) items.push_back(from_json(item, depth + 1));
      return Value::array(std::move(items));
    }
    case nlohmann::json::value_t::object: {
      auto obj = std::make_shared<jinja::Object>();
      for (const auto& [key, value] : js_ordered_entries(j)) obj->set(key, from_json(*value, depth + 1));
      return Value::object(std::move(obj));
    }
    default: throw JinjaError("the context holds a value that is not JSON");
  }
}

template <typename Json>
Result<std::string> render_json(const std::string& source, const jinja::Program& program, const Json& context,
                                const ChatTemplateRenderOptions& options) {
  if (!context.is_object()) return invalid_argument("chat template context must be a JSON object");
  try {
    std::vector<std::pair<std::string, Value>> variables;
    for (const auto& [key, value] : js_ordered_entries(context)) variables.emplace_back(key, from_json(*value, 1));
    jinja::Interpreter interpreter(options.limits, options.now);
    jinja::Env& globals = interpreter.make_globals(std::move(variables));
    return interpreter.run(program, globals);
  } catch (const JinjaError& e) {
    return invalid_argument(error_text(source, e));
  } catch (const std::bad_alloc&) {
    return Status(ErrorCode::kResourceExhausted, "chat template: out of memory while rendering");
  } catch (const std::length_error&) {
    return Status(ErrorCode::kResourceExhausted, "chat template: a value grew too large while rendering");
  } catch (const std::exception& e) {
    return Status(ErrorCode::kInternal, std::string("chat template: ") + e.what());
  }
}

}  // namespace

Result<ChatTemplate> ChatTemplate::parse(std::string_view source) {
  auto text = std::make_shared<const std::string>(source);
  try {
    auto program = std::make_shared<const jinja::Program>(jinja::parse_template(*text));
    return ChatTemplate(std::move(text), std::move(program));
  } catch (const JinjaError& e) {
    return invalid_argument(error_text(*text, e));
  } catch (const std::bad_alloc&) {
    return Status(ErrorCode::kResourceExhausted, "chat template: out of memory while parsing");
  }
}

Result<std::string> ChatTemplate::render(const nlohmann::ordered_json& context, const ChatTemplateRenderOptions& options) const {
  return render_json(*source_, *program_, context, options);
}

Result<std::string> ChatTemplate::render(const nlohmann::json& context, const ChatTemplateRenderOptions& options) const {
  return render_json(*source_, *program_, context, options);
}

}  // namespace turbine
