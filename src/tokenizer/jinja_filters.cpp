// Filters (`value | name` and `value | name(args)`) and tests (`value is name`), with the set
// and the per-type behavior of @huggingface/jinja: a filter the reference lacks for a type is an
// error there, so it is one here too.
#include <algorithm>
#include <cmath>
#include <unordered_set>

#include "tokenizer/jinja_interpreter.h"
#include "tokenizer/jinja_js.h"

namespace turbine::jinja {

namespace {

const char* kind_of(const Value& v) { return kind_name(v.kind()); }

[[noreturn]] void unknown_filter(const char* type, const std::string& name) {
  throw JinjaError(std::string("Unknown ") + type + " filter: " + name);
}

// `item.a.b.0` for map(attribute=...) and sort(attribute=...): objects by key, arrays by index.
Value attribute_value(const Value& item, const std::string& path) {
  Value value = item;
  size_t start = 0;
  while (true) {
    const size_t dot = path.find('.', start);
    const std::string part = path.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
    if (value.has_entries()) {
      const Value* v = value.entries().find(part);
      value = v ? *v : Value();
    } else if (value.is_array()) {
      const double index = js::parse_int(part);
      if (std::isnan(index) || index < 0 || index >= static_cast<double>(value.items().size())) return Value();
      value = value.items()[static_cast<size_t>(index)];
    } else {
      return Value();
    }
    if (dot == std::string::npos) return value;
    start = dot + 1;
  }
}

// Array.prototype.join over raw values: undefined and null print as nothing.
std::string join_raw(const Array& items, const std::string& separator, size_t max_bytes) {
  std::string out;
  for (size_t i = 0; i < items.size(); ++i) {
    if (i) out += separator;
    if (!items[i].is_undefined() && !items[i].is_null()) out += raw_string(items[i], max_bytes);
    if (out.size() > max_bytes) throw JinjaError("string longer than the limit of " + std::to_string(max_bytes) + " bytes");
  }
  return out;
}

std::string indent_lines(const std::string& s, size_t width, bool first, bool blank, size_t max_bytes) {
  const std::string pad(width, ' ');
  std::string out;
  size_t line_start = 0;
  for (size_t i = 0;; ++i) {
    const size_t end = s.find('\n', line_start);
    const std::string_view line = std::string_view(s).substr(line_start, end == std::string::npos ? std::string::npos : end - line_start);
    if (i > 0) out += '\n';
    if (!((!first && i == 0) || (!blank && line.empty()))) out += pad;
    out += line;
    if (out.size() > max_bytes) throw JinjaError("string longer than the limit of " + std::to_string(max_bytes) + " bytes");
    if (end == std::string::npos) return out;
    line_start = end + 1;
  }
}

// A key under which SameValueZero-equal values collide (the `unique` filter's Set).
std::string same_value_key(const Value& v) {
  switch (v.kind()) {
    case Kind::kUndefined: return "u";
    case Kind::kNull: return "n";
    case Kind::kBool: return v.as_bool() ? "t" : "f";
    case Kind::kInt:
    case Kind::kFloat: return "d" + js::number_to_string(v.number());
    case Kind::kString: return "s" + v.str();
    default: return "o" + std::to_string(reinterpret_cast<uintptr_t>(v.identity()));
  }
}

Array sorted(const Array& items, bool reverse, bool case_sensitive, const Value& attribute) {
  Array out = items;
  auto key = [&](const Value& item) {
    if (attribute.is_null()) return item;
    return attribute_value(item, attribute.is_string() ? attribute.str() : js::number_to_string(attribute.number()));
  };
  std::stable_sort(out.begin(), out.end(), [&](const Value& a, const Value& b) {
    const int c = compare_values(key(a), key(b), case_sensitive);
    return reverse ? c > 0 : c < 0;
  });
  return out;
}

bool is_test_name(const std::string& name) {
  static const char* const kTests[] = {"boolean", "callable", "odd",      "even",     "false",   "true",
                                       "none",    "string",   "number",   "integer",  "iterable", "mapping",
                                       "sequence", "lower",   "upper",    "defined",  "undefined", "equalto", "eq"};
  return std::find_if(std::begin(kTests), std::end(kTests), [&](const char* t) { return name == t; }) != std::end(kTests);
}

// tojson(indent=, ensure_ascii=, sort_keys=, separators=), checked as the reference checks them.
JsonOptions tojson_options(const Object& kwargs, size_t max_bytes) {
  const Value* indent = kwargs.find("indent");
  const Value* ensure_ascii = kwargs.find("ensure_ascii");
  const Value* sort_keys = kwargs.find("sort_keys");
  const Value* separators = kwargs.find("separators");
  JsonOptions options;
  options.max_bytes = max_bytes;
  if (indent && !indent->is_null()) {
    if (!indent->is(Kind::kInt)) throw JinjaError("If set, indent must be a number");
    if (indent->number() < 0) throw JinjaError("Invalid count value: " + js::number_to_string(indent->number()));
    if (indent->number() > 1e6) throw JinjaError("tojson indent too large");
    options.indent = static_cast<int>(indent->number());
  }
  if (ensure_ascii) {
    if (!ensure_ascii->is(Kind::kBool)) throw JinjaError("If set, ensure_ascii must be a boolean");
    options.ensure_ascii = ensure_ascii->as_bool();
  }
  if (sort_keys) {
    if (!sort_keys->is(Kind::kBool)) throw JinjaError("If set, sort_keys must be a boolean");
    options.sort_keys = sort_keys->as_bool();
  }
  if (separators && !separators->is_null()) {
    if (!separators->is_array()) throw JinjaError("If set, separators must be a tuple of two strings");
    const Array& seps = separators->items();
    if (seps.size() != 2 || !seps[0].is_string() || !seps[1].is_string()) {
      throw JinjaError("separators must be a tuple of two strings");
    }
    options.has_separators = true;
    options.item_separator = seps[0].str();
    options.key_separator = seps[1].str();
  }
  return options;
}

}  // namespace

Value Interpreter::apply_filter(const Value& operand, const Node& filter, Env& env) {
  if (filter.kind == NodeKind::kIdentifier) return apply_plain_filter(operand, as<Identifier>(filter).name);
  if (filter.kind == NodeKind::kCall) {
    const auto& call = as<Call>(filter);
    if (call.callee->kind != NodeKind::kIdentifier) throw JinjaError("Unknown filter: a filter must be a name");
    return apply_call_filter(operand, call, env);
  }
  throw JinjaError("Unknown filter: a filter must be a name or a call");
}

Value Interpreter::apply_plain_filter(const Value& operand, const std::string& name) {
  const size_t max = limits_.max_string_bytes;
  if (name == "safe") return operand;
  if (name == "tojson") {
    JsonOptions options;
    options.max_bytes = max;
    return make_string(to_json(operand, options));
  }
  if (operand.is_array()) {
    const Array& items = operand.items();
    if (name == "list") return operand;
    if (name == "first") return items.empty() ? Value() : items.front();
    if (name == "last") return items.empty() ? Value() : items.back();
    if (name == "length") return Value::integer(static_cast<double>(items.size()));
    if (name == "reverse") return make_array(Array(items.rbegin(), items.rend()));
    if (name == "sort") return make_array(sorted(items, false, false, Value::null()));
    if (name == "join") return make_string(join_raw(items, "", max));
    if (name == "string") {
      JsonOptions options;
      options.max_bytes = max;
      return make_string(to_json(operand, options, false));
    }
    if (name == "unique") {
      std::unordered_set<std::string> seen;
      Array out;
      for (const Value& item : items) {
        if (seen.insert(same_value_key(item)).second) out.push_back(item);
      }
      return make_array(std::move(out));
    }
    unknown_filter("ArrayValue", name);
  }
  if (operand.is_string()) {
    const std::string& s = operand.str();
    if (name == "length") return Value::integer(static_cast<double>(js::utf16_length(s)));
    if (name == "upper") return make_string(js::to_upper(s));
    if (name == "lower") return make_string(js::to_lower(s));
    if (name == "title") return make_string(js::title_ascii(s));
    if (name == "capitalize") return make_string(js::capitalize_first(s));
    if (name == "trim") return make_string(std::string(js::trim(s)));
    if (name == "indent") return make_string(indent_lines(s, 4, false, false, max));
    if (name == "join" || name == "string") return operand;
    if (name == "int") {
      const double v = js::parse_int(s);
      return Value::integer(std::isnan(v) ? 0 : v);
    }
    if (name == "float") {
      const double v = js::parse_float(s);
      return Value::floating(std::isnan(v) ? 0 : v);
    }
    unknown_filter("StringValue", name);
  }
  if (operand.is_number()) {
    const double v = operand.number();
    if (name == "abs") return operand.is(Kind::kInt) ? Value::integer(std::fabs(v)) : Value::floating(std::fabs(v));
    if (name == "int") return Value::integer(std::floor(v));
    if (name == "float") return Value::floating(v);
    if (name == "string") return make_string(display(operand));
    unknown_filter("NumericValue", name);
  }
  if (operand.is_object()) {
    if (name == "items") return call_object_method(operand, "items", {});
    if (name == "length") return Value::integer(static_cast<double>(operand.entries().size()));
    if (member_builtin(operand, name).is_function()) return call_object_method(operand, name, {});
    unknown_filter("ObjectValue", name);
  }
  if (operand.is(Kind::kBool)) {
    const bool b = operand.as_bool();
    if (name == "bool") return operand;
    if (name == "int") return Value::integer(b ? 1 : 0);
    if (name == "float") return Value::floating(b ? 1 : 0);
    if (name == "string") return Value::string(b ? "true" : "false");
    unknown_filter("BooleanValue", name);
  }
  throw JinjaError("Cannot apply filter \"" + name + "\" to type: " + kind_of(operand));
}

Value Interpreter::apply_call_filter(const Value& operand, const Call& filter, Env& env) {
  const std::string& name = as<Identifier>(*filter.callee).name;
  const size_t max = limits_.max_string_bytes;
  if (name == "tojson") {
    const auto kwargs = eval_args(filter.args, env).second;  // positional arguments are ignored
    return make_string(to_json(operand, tojson_options(*kwargs, max)));
  }
  if (name == "join") {
    if (!operand.is_string() && !operand.is_array()) {
      throw JinjaError("Cannot apply filter \"join\" to type: " + std::string(kind_of(operand)));
    }
    auto [args, kwargs] = eval_args(filter.args, env);
    const Value* sep_kw = kwargs->find("separator");
    const Value separator = !args.empty() ? args[0] : (sep_kw ? *sep_kw : Value::string(""));
    if (!separator.is_string()) throw JinjaError("separator must be a string");
    if (operand.is_array()) return make_string(join_raw(operand.items(), separator.str(), max));
    std::string out;
    const auto chars = js::code_points(operand.str());
    for (size_t i = 0; i < chars.size(); ++i) {
      if (i) out += separator.str();
      out += chars[i];
      check_length(out.size());
    }
    return make_string(std::move(out));
  }
  if (name == "int" || name == "float") {
    const bool to_int = name == "int";
    auto [args, kwargs] = eval_args(filter.args, env);
    const Value* default_kw = kwargs->find("default");
    const Value fallback = !args.empty() ? args[0] : (default_kw ? *default_kw : (to_int ? Value::integer(0) : Value::floating(0)));
    if (operand.is_string()) {
      const double v = to_int ? js::parse_int(operand.str()) : js::parse_float(operand.str());
      if (std::isnan(v)) return fallback;
      return to_int ? Value::integer(v) : Value::floating(v);
    }
    if (operand.is_number()) return operand;
    if (operand.is(Kind::kBool)) return to_int ? Value::integer(operand.as_bool()) : Value::floating(operand.as_bool());
    throw JinjaError("Cannot apply filter \"" + name + "\" to type: " + kind_of(operand));
  }
  if (name == "default") {
    auto [args, kwargs] = eval_args(filter.args, env);
    const Value fallback = !args.empty() ? args[0] : Value::string("");
    const Value* boolean_kw = kwargs->find("boolean");
    const Value boolean = args.size() > 1 ? args[1] : (boolean_kw ? *boolean_kw : Value::boolean(false));
    if (!boolean.is(Kind::kBool)) throw JinjaError("`default` filter flag must be a boolean");
    if (operand.is_undefined() || (boolean.as_bool() && !truthy(operand))) return fallback;
    return operand;
  }
  if (operand.is_array()) return apply_array_call_filter(operand, name, filter, env);
  if (operand.is_string()) return apply_string_call_filter(operand, name, filter, env);
  if (operand.is_object()) {
    const Value builtin = member_builtin(operand, name);
    if (builtin.is_function()) {
      auto [args, kwargs] = eval_args(filter.args, env);
      if (kwargs->size() > 0) args.push_back(make_object(std::move(kwargs), Kind::kKwargs));
      return call_object_method(operand, name, args);
    }
    unknown_filter("ObjectValue", name);
  }
  throw JinjaError("Cannot apply filter \"" + name + "\" to type: " + kind_of(operand));
}

Value Interpreter::apply_string_call_filter(const Value& operand, const std::string& name, const Call& filter, Env& env) {
  if (name == "indent") {
    auto [args, kwargs] = eval_args(filter.args, env);
    auto pick = [&](size_t i, const char* key, Value fallback) {
      const Value* kw = kwargs->find(key);
      return i < args.size() ? args[i] : (kw ? *kw : std::move(fallback));
    };
    const Value width = pick(0, "width", Value::integer(4));
    if (!width.is(Kind::kInt)) throw JinjaError("width must be a number");
    if (width.number() < 0 || !std::isfinite(width.number())) throw JinjaError("Invalid count value: " + display(width));
    const Value first = pick(1, "first", Value::boolean(false));
    const Value blank = pick(2, "blank", Value::boolean(false));
    check_length(static_cast<size_t>(std::min(width.number(), 1e18)));
    return make_string(indent_lines(operand.str(), static_cast<size_t>(width.number()), raw_truthy(first),
                                    raw_truthy(blank), limits_.max_string_bytes));
  }
  if (name == "replace") {
    auto [args, kwargs] = eval_args(filter.args, env);
    args.push_back(make_object(std::move(kwargs), Kind::kKwargs));
    return call_string_method(operand.str(), "replace", args);
  }
  unknown_filter("StringValue", name);
}

Value Interpreter::apply_array_call_filter(const Value& operand, const std::string& name, const Call& filter, Env& env) {
  const Array& items = operand.items();
  if (name == "sort") {
    auto [args, kwargs] = eval_args(filter.args, env);
    auto pick = [&](size_t i, const char* key, Value fallback) {
      const Value* kw = kwargs->find(key);
      return i < args.size() ? args[i] : (kw ? *kw : std::move(fallback));
    };
    const Value reverse = pick(0, "reverse", Value::boolean(false));
    if (!reverse.is(Kind::kBool)) throw JinjaError("reverse must be a boolean");
    const Value case_sensitive = pick(1, "case_sensitive", Value::boolean(false));
    if (!case_sensitive.is(Kind::kBool)) throw JinjaError("case_sensitive must be a boolean");
    const Value attribute = pick(2, "attribute", Value::null());
    if (!attribute.is_string() && !attribute.is(Kind::kInt) && !attribute.is_null()) {
      throw JinjaError("attribute must be a string, integer, or null");
    }
    return make_array(sorted(items, reverse.as_bool(), case_sensitive.as_bool(), attribute));
  }
  if (name == "selectattr" || name == "rejectattr") {
    const bool select = name == "selectattr";
    for (const Value& item : items) {
      if (!item.has_entries()) throw JinjaError("`" + name + "` can only be applied to array of objects");
    }
    for (const auto& arg : filter.args) {
      if (arg->kind != NodeKind::kStringLiteral) throw JinjaError("arguments of `" + name + "` must be strings");
    }
    Array args;
    for (const auto& arg : filter.args) args.push_back(eval(*arg, env));
    if (args.empty() && !items.empty()) throw JinjaError("`" + name + "` needs the name of an attribute");
    if (args.size() > 1 && !is_test_name(args[1].str())) throw JinjaError("Unknown test: " + args[1].str());
    Array out;
    for (const Value& item : items) {
      const Value* attr = item.entries().find(args[0].str());
      bool result = false;
      if (attr != nullptr) result = args.size() > 1 ? run_test(args[1].str(), *attr, args.size() > 2 ? &args[2] : nullptr) : truthy(*attr);
      if (result == select) out.push_back(item);
    }
    return make_array(std::move(out));
  }
  if (name == "map") {
    const auto kwargs = eval_args(filter.args, env).second;
    const Value* attribute = kwargs->find("attribute");
    if (attribute == nullptr) throw JinjaError("`map` expressions without `attribute` set are not currently supported.");
    if (!attribute->is_string()) throw JinjaError("attribute must be a string");
    const Value* fallback = kwargs->find("default");
    Array out;
    for (const Value& item : items) {
      if (!item.has_entries()) throw JinjaError("items in map must be an object");
      Value v = attribute_value(item, attribute->str());
      out.push_back(v.is_undefined() && fallback ? *fallback : std::move(v));
    }
    return make_array(std::move(out));
  }
  unknown_filter("ArrayValue", name);
}

bool Interpreter::run_test(const std::string& name, const Value& operand, const Value* arg) {
  if (name == "boolean") return operand.is(Kind::kBool);
  if (name == "callable") return operand.is_function();
  if (name == "odd" || name == "even") {
    if (!operand.is(Kind::kInt)) throw JinjaError("cannot " + name + " on " + kind_of(operand));
    const bool odd = std::fmod(operand.number(), 2) != 0;
    return name == "odd" ? odd : !odd;
  }
  if (name == "false") return operand.is(Kind::kBool) && !operand.as_bool();
  if (name == "true") return operand.is(Kind::kBool) && operand.as_bool();
  if (name == "none") return operand.is_null();
  if (name == "string") return operand.is_string();
  if (name == "number") return operand.is_number();
  if (name == "integer") return operand.is(Kind::kInt);
  if (name == "iterable") return operand.is(Kind::kArray) || operand.is_string();
  if (name == "mapping") return operand.is_object();
  if (name == "sequence") return operand.is_array() || operand.is_object() || operand.is_string();
  if (name == "lower") return operand.is_string() && operand.str() == js::to_lower(operand.str());
  if (name == "upper") return operand.is_string() && operand.str() == js::to_upper(operand.str());
  if (name == "defined") return !operand.is_undefined();
  if (name == "undefined") return operand.is_undefined();
  if (name == "equalto" || name == "eq") {
    if (arg == nullptr) throw JinjaError("the `" + name + "` test needs a value to compare with");
    return strict_equals(operand, *arg);
  }
  throw JinjaError("Unknown test: " + name);
}

}  // namespace turbine::jinja
