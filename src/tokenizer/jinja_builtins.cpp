// Calls: the global functions (raise_exception, range, strftime_now, namespace), the methods of
// strings and objects, and macro argument binding, as @huggingface/jinja defines them.
#include <algorithm>
#include <cmath>
#include <ctime>

#include "tokenizer/jinja_interpreter.h"
#include "tokenizer/jinja_js.h"

namespace turbine::jinja {

namespace {

constexpr const char* kStringMethods[] = {"upper", "lower", "strip", "title", "capitalize", "rstrip",
                                          "lstrip", "startswith", "endswith", "split", "replace"};
constexpr const char* kObjectMethods[] = {"get", "items", "keys", "values", "dictsort"};

// Lists longer than this are refused by range() before they are built.
constexpr double kMaxRangeItems = 1 << 22;

const char* kind_of(const Value& v) { return kind_name(v.kind()); }

template <size_t N>
bool one_of(const std::string& name, const char* const (&names)[N]) {
  return std::find_if(std::begin(names), std::end(names), [&](const char* n) { return name == n; }) != std::end(names);
}

Value method(const Value& receiver, const std::string& name) {
  auto fn = std::make_shared<Function>();
  fn->type = Function::Type::kMethod;
  fn->name = name;
  fn->receiver = receiver;
  return Value::function(std::move(fn));
}

// Positional `index`, else keyword `key` from a trailing kwargs argument, else `fallback`.
Value arg_or(const Array& positional, size_t index, const Object* kwargs, const char* key, Value fallback) {
  if (index < positional.size()) return positional[index];
  if (kwargs != nullptr) {
    if (const Value* v = kwargs->find(key)) return *v;
  }
  return fallback;
}

// str.replace() with the reference's count rules: null or negative replaces every match; an
// empty `old` matches before every code point and at the end.
std::string replace_all(const std::string& s, const std::string& old_value, const std::string& new_value, double count,
                        size_t max_bytes) {
  if (count == 0) return s;
  auto check = [&](const std::string& out) {
    if (out.size() > max_bytes) throw JinjaError("string longer than the limit of " + std::to_string(max_bytes) + " bytes");
  };
  double remaining = (std::isnan(count) || count < 0) ? INFINITY : count;
  std::string out;
  if (old_value.empty()) {
    for (std::string_view cp : js::code_points(s)) {
      if (remaining > 0) {
        out += new_value;
        --remaining;
        check(out);
      }
      out += cp;
    }
    if (remaining > 0) out += new_value;
    return out;
  }
  size_t pos = 0;
  while (remaining > 0) {
    const size_t hit = s.find(old_value, pos);
    if (hit == std::string::npos) break;
    out.append(s, pos, hit - pos);
    out += new_value;
    check(out);
    pos = hit + old_value.size();
    --remaining;
  }
  out.append(s, pos, std::string::npos);
  return out;
}

// str.split(sep=None, maxsplit=-1), Python's behavior as the reference implements it.
Array split(const std::string& s, const Value& sep, double maxsplit) {
  Array parts;
  if (sep.is_null()) {
    const std::string_view text = js::trim_start(s);
    size_t i = 0;
    while (i < text.size()) {
      while (size_t n = js::space_length_at(text, i)) i += n;
      if (i >= text.size()) break;
      size_t end = i;
      while (end < text.size() && js::space_length_at(text, end) == 0) ++end;
      if (maxsplit != -1 && static_cast<double>(parts.size()) >= maxsplit) {
        parts.push_back(Value::string(std::string(text.substr(i))));
        break;
      }
      parts.push_back(Value::string(std::string(text.substr(i, end - i))));
      i = end;
    }
    return parts;
  }
  const std::string& separator = sep.str();
  if (separator.empty()) throw JinjaError("empty separator");
  std::vector<std::string> pieces;
  size_t pos = 0;
  for (size_t hit; (hit = s.find(separator, pos)) != std::string::npos; pos = hit + separator.size()) {
    pieces.push_back(s.substr(pos, hit - pos));
  }
  pieces.push_back(s.substr(pos));
  size_t keep = pieces.size();
  if (maxsplit != -1 && static_cast<double>(pieces.size()) > maxsplit) {
    // result.splice(maxsplit): a negative count is taken from the end.
    const double k = maxsplit < 0 ? std::max(static_cast<double>(pieces.size()) + maxsplit, 0.0) : maxsplit;
    keep = static_cast<size_t>(k);
  }
  for (size_t i = 0; i < keep; ++i) parts.push_back(Value::string(std::move(pieces[i])));
  if (keep < pieces.size()) {
    std::string rest;
    for (size_t i = keep; i < pieces.size(); ++i) rest += (i > keep ? separator : "") + pieces[i];
    parts.push_back(Value::string(std::move(rest)));
  }
  return parts;
}

std::string strftime_js(const std::tm& t, const std::string& format) {
  static const char* const kLong[] = {"January", "February", "March",     "April",   "May",      "June",
                                      "July",    "August",   "September", "October", "November", "December"};
  static const char* const kShort[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                       "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  auto pad2 = [](int n) { return (n < 10 ? "0" : "") + std::to_string(n); };
  std::string out;
  for (size_t i = 0; i < format.size(); ++i) {
    const char c = i + 1 < format.size() && format[i] == '%' ? format[i + 1] : '\0';
    switch (c) {
      case 'Y': out += std::to_string(t.tm_year + 1900); break;
      case 'm': out += pad2(t.tm_mon + 1); break;
      case 'd': out += pad2(t.tm_mday); break;
      case 'b': out += kShort[t.tm_mon]; break;
      case 'B': out += kLong[t.tm_mon]; break;
      case 'H': out += pad2(t.tm_hour); break;
      case 'M': out += pad2(t.tm_min); break;
      case '%': out += '%'; break;
      default: out += format[i]; continue;
    }
    ++i;
  }
  return out;
}

}  // namespace

Value Interpreter::member_builtin(const Value& object, const std::string& name) {
  if (object.is_string()) {
    if (name == "length") return Value::integer(static_cast<double>(js::utf16_length(object.str())));
    if (one_of(name, kStringMethods)) return method(object, name);
  } else if (object.is_array()) {
    if (name == "length") return Value::integer(static_cast<double>(object.items().size()));
  } else if (object.is_object()) {
    if (one_of(name, kObjectMethods)) return method(object, name);
  }
  return Value();
}

Value Interpreter::call_function(const Value& fn_value, Array args, Env& env) {
  const Function& fn = fn_value.fn();
  switch (fn.type) {
    case Function::Type::kGlobal:
      if (fn.name == "namespace") return make_namespace(std::move(args));
      return call_global(fn.name, std::move(args));
    case Function::Type::kMacro: {
      Env& scope = new_env(&env);  // macros see the caller's variables, as in the reference
      bind_macro_args("'" + fn.name + "'", fn.macro->args, fn.macro->uses_varargs, fn.macro->uses_kwargs,
                      std::move(args), scope);
      return Value::string(eval_block(fn.macro->body, scope));
    }
    case Function::Type::kCaller: {
      Env& scope = new_env(fn.env);
      bind_macro_args("None", fn.call->caller_args, fn.call->uses_varargs, fn.call->uses_kwargs, std::move(args), scope);
      return Value::string(eval_block(fn.call->body, scope));
    }
    case Function::Type::kMethod:
      if (fn.receiver.is_string()) return call_string_method(fn.receiver.str(), fn.name, args);
      return call_object_method(fn.receiver, fn.name, args);
  }
  return Value();
}

// The reference hands these JavaScript functions the raw values of their arguments.
Value Interpreter::call_global(const std::string& name, Array args) {
  if (name == "raise_exception") {
    throw JinjaError(args.empty() || args[0].is_undefined() ? std::string() : raw_string(args[0], limits_.max_string_bytes));
  }
  if (name == "strftime_now") return strftime_now(args);
  // range(stop) / range(start, stop[, step])
  for (const Value& a : args) {
    if (!a.is_number()) throw JinjaError(std::string("range() arguments must be numbers, got ") + kind_of(a));
  }
  if (args.empty()) throw JinjaError("range() expects at least one argument");
  double start = args[0].number(), stop = 0, step = 1;
  if (args.size() == 1) std::swap(start, stop);
  else stop = args[1].number();
  if (args.size() > 2) step = args[2].number();
  if (step == 0) throw JinjaError("range() step must not be zero");
  const double count = std::ceil((stop - start) / step);
  if (count > kMaxRangeItems) throw JinjaError("range() of more than " + js::number_to_string(kMaxRangeItems) + " items");
  Array items;
  for (double i = start; step > 0 ? i < stop : i > stop; i += step) {
    items.push_back(std::floor(i) == i ? Value::integer(i) : Value::floating(i));
  }
  return make_array(std::move(items));
}

Value Interpreter::strftime_now(const Array& args) {
  if (args.empty() || !args[0].is_string()) throw JinjaError("strftime_now() expects a format string");
  const auto now = now_.value_or(std::chrono::system_clock::now());
  const std::time_t t = std::chrono::system_clock::to_time_t(now);
  std::tm local{};
  localtime_r(&t, &local);
  return make_string(strftime_js(local, args[0].str()));
}

Value Interpreter::make_namespace(Array args) {
  Array positional = std::move(args);
  const Object* kwargs = nullptr;
  Value kwargs_holder;
  if (!positional.empty() && positional.back().is(Kind::kKwargs)) {
    kwargs_holder = positional.back();
    kwargs = &kwargs_holder.entries();
    positional.pop_back();
  }
  if (positional.size() > 1) {
    throw JinjaError("namespace expected at most 1 argument, got " + std::to_string(positional.size()));
  }
  auto entries = std::make_shared<Object>();
  if (positional.size() == 1) {
    const Value& source = positional[0];
    if (source.is_object()) {
      for (const auto& [k, v] : source.entries().entries) entries->set(k, v);
    } else if (source.is_array()) {
      for (const Value& pair : source.items()) {
        Array kv;
        if (pair.is_array()) kv = pair.items();
        if (pair.is_string()) {
          for (std::string_view cp : js::code_points(pair.str())) kv.push_back(Value::string(std::string(cp)));
        }
        if (kv.size() != 2) throw JinjaError("namespace expected an object or an iterable of [key, value] pairs");
        if (!kv[0].is_string()) throw JinjaError("namespace keys must be strings");
        entries->set(kv[0].str(), kv[1]);
      }
    } else {
      throw JinjaError(std::string("'") + kind_of(source) + "' object is not iterable");
    }
  }
  if (kwargs != nullptr) {
    for (const auto& [k, v] : kwargs->entries) entries->set(k, v);
  }
  return make_object(std::move(entries), Kind::kNamespace);
}

Value Interpreter::call_string_method(const std::string& s, const std::string& name, const Array& args) {
  if (name == "upper") return make_string(js::to_upper(s));
  if (name == "lower") return make_string(js::to_lower(s));
  if (name == "strip") return make_string(std::string(js::trim(s)));  // the reference ignores `chars`
  if (name == "rstrip") return make_string(std::string(js::trim_end(s)));
  if (name == "lstrip") return make_string(std::string(js::trim_start(s)));
  if (name == "title") return make_string(js::title_ascii(s));
  if (name == "capitalize") return make_string(js::capitalize_first(s));
  if (name == "startswith" || name == "endswith") {
    const bool starts = name == "startswith";
    if (args.empty()) throw JinjaError(name + "() requires at least one argument");
    auto test = [&](const std::string& p) {
      return s.size() >= p.size() && (starts ? s.compare(0, p.size(), p) == 0 : s.compare(s.size() - p.size(), p.size(), p) == 0);
    };
    if (args[0].is_string()) return Value::boolean(test(args[0].str()));
    if (args[0].is_array()) {
      for (const Value& item : args[0].items()) {
        if (!item.is_string()) throw JinjaError(name + "() tuple elements must be strings");
        if (test(item.str())) return Value::boolean(true);
      }
      return Value::boolean(false);
    }
    throw JinjaError(name + "() argument must be a string or tuple of strings");
  }
  if (name == "split") {
    const Value sep = args.size() > 0 ? args[0] : Value::null();
    if (!sep.is_string() && !sep.is_null()) throw JinjaError("sep argument must be a string or null");
    const Value maxsplit = args.size() > 1 ? args[1] : Value::integer(-1);
    if (!maxsplit.is(Kind::kInt)) throw JinjaError("maxsplit argument must be a number");
    return make_array(split(s, sep, maxsplit.number()));
  }
  // replace(old, new[, count])
  if (args.size() < 2) throw JinjaError("replace() requires at least two arguments");
  if (!args[0].is_string() || !args[1].is_string()) throw JinjaError("replace() arguments must be strings");
  Value count = Value::null();
  if (args.size() > 2) {
    if (args[2].is(Kind::kKwargs)) {
      const Value* c = args[2].entries().find("count");
      count = c ? *c : Value::null();
    } else {
      count = args[2];
    }
  }
  if (!count.is(Kind::kInt) && !count.is_null()) throw JinjaError("replace() count argument must be a number or null");
  return make_string(replace_all(s, args[0].str(), args[1].str(), count.is_null() ? -1 : count.number(),
                                 limits_.max_string_bytes));
}

Value Interpreter::call_object_method(const Value& object, const std::string& name, const Array& args) {
  const Object& obj = object.entries();
  if (name == "get") {
    if (args.empty() || !args[0].is_string()) {
      throw JinjaError(std::string("Object key must be a string: got ") + (args.empty() ? "nothing" : kind_of(args[0])));
    }
    if (const Value* v = obj.find(args[0].str())) return *v;
    return args.size() > 1 ? args[1] : Value::null();
  }
  if (name == "dictsort") return dictsort(object, args);
  Array out;
  for (const auto& [k, v] : obj.entries) {
    if (name == "keys") out.push_back(Value::string(k));
    else if (name == "values") out.push_back(v);
    else out.push_back(Value::array({Value::string(k), v}));  // items
  }
  return make_array(std::move(out));
}

Value Interpreter::dictsort(const Value& object, const Array& args) {
  Array positional;
  const Object* kwargs = nullptr;
  for (const Value& a : args) {
    if (a.is(Kind::kKwargs)) kwargs = &a.entries();
    else positional.push_back(a);
  }
  const Value case_sensitive = arg_or(positional, 0, kwargs, "case_sensitive", Value::boolean(false));
  if (!case_sensitive.is(Kind::kBool)) throw JinjaError("case_sensitive must be a boolean");
  const Value by = arg_or(positional, 1, kwargs, "by", Value::string("key"));
  if (!by.is_string()) throw JinjaError("by must be a string");
  if (by.str() != "key" && by.str() != "value") throw JinjaError("by must be either 'key' or 'value'");
  const Value reverse = arg_or(positional, 2, kwargs, "reverse", Value::boolean(false));
  if (!reverse.is(Kind::kBool)) throw JinjaError("reverse must be a boolean");
  Array items;
  for (const auto& [k, v] : object.entries().entries) items.push_back(Value::array({Value::string(k), v}));
  const size_t index = by.str() == "key" ? 0 : 1;
  std::stable_sort(items.begin(), items.end(), [&](const Value& a, const Value& b) {
    const int c = compare_values(a.items()[index], b.items()[index], case_sensitive.as_bool());
    return reverse.as_bool() ? c > 0 : c < 0;
  });
  return make_array(std::move(items));
}

void Interpreter::bind_macro_args(const std::string& display_name, const NodeList& params, bool uses_varargs,
                                  bool uses_kwargs, Array args, Env& scope) {
  std::vector<std::pair<std::string, Value>> keywords;
  if (!args.empty() && args.back().is(Kind::kKwargs)) {
    keywords = args.back().entries().entries;
    args.pop_back();
  }
  std::vector<std::pair<std::string, const Node*>> pending_defaults;
  for (size_t i = 0; i < params.size(); ++i) {
    const Node& p = *params[i];
    const std::string& name = p.kind == NodeKind::kIdentifier ? as<Identifier>(p).name : as<KeywordArgument>(p).key;
    std::optional<Value> value;
    if (i < args.size()) value = args[i];
    if (!value) {
      const auto it = std::find_if(keywords.begin(), keywords.end(), [&](const auto& kv) { return kv.first == name; });
      if (it != keywords.end()) {
        value = it->second;
        keywords.erase(it);
      }
    }
    if (!value && p.kind == NodeKind::kKeywordArgument) pending_defaults.emplace_back(name, as<KeywordArgument>(p).value.get());
    scope.set(name, value.value_or(Value()));
  }
  if (uses_kwargs) {
    auto rest = std::make_shared<Object>();
    for (auto& [k, v] : keywords) rest->set(k, std::move(v));
    scope.set("kwargs", make_object(std::move(rest)));
  } else if (!keywords.empty()) {
    throw JinjaError("macro " + display_name + " takes no keyword argument '" + keywords.front().first + "'");
  }
  if (uses_varargs) {
    Array rest(args.begin() + static_cast<std::ptrdiff_t>(std::min(params.size(), args.size())), args.end());
    scope.set("varargs", make_array(std::move(rest)));
  } else if (args.size() > params.size()) {
    throw JinjaError("macro " + display_name + " takes not more than " + std::to_string(params.size()) + " argument(s)");
  }
  for (const auto& [name, default_node] : pending_defaults) scope.set(name, eval(*default_node, scope));
}

}  // namespace turbine::jinja
