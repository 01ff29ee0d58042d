#include "tokenizer/jinja_value.h"

#include <algorithm>
#include <cmath>

#include "tokenizer/jinja_js.h"

namespace turbine::jinja {

namespace {

// Containers nest this deep at most when printed or converted to JSON; deeper only happens when
// a namespace holds itself, which the reference reports as a stack overflow.
constexpr int kMaxJsonDepth = 512;

// JavaScript's typeof classes of a value's raw `.value`.
enum class RawType { kUndefined, kNull, kBoolean, kNumber, kString, kObject };

RawType raw_type(const Value& v) {
  switch (v.kind()) {
    case Kind::kUndefined: return RawType::kUndefined;
    case Kind::kNull: return RawType::kNull;
    case Kind::kBool: return RawType::kBoolean;
    case Kind::kInt:
    case Kind::kFloat: return RawType::kNumber;
    case Kind::kString: return RawType::kString;
    default: return RawType::kObject;
  }
}

// Approximates String.prototype.localeCompare (ICU root collation) for tojson(sort_keys=true):
// case-insensitive first, then lower case before upper case.
bool locale_less(const std::string& a, const std::string& b) {
  const int c = js::compare_utf16(js::to_lower(a), js::to_lower(b));
  if (c != 0) return c < 0;
  return js::compare_utf16(b, a) < 0;
}

void check_size(const std::string& out, size_t max_bytes) {
  if (out.size() > max_bytes) throw JinjaError("string longer than the limit of " + std::to_string(max_bytes) + " bytes");
}

double to_number_for_equality(const Value& v) {
  switch (raw_type(v)) {
    case RawType::kBoolean: return v.as_bool() ? 1 : 0;
    case RawType::kNumber: return v.number();
    case RawType::kString: return js::string_to_number(v.str());
    default: return std::nan("");
  }
}

}  // namespace

const char* kind_name(Kind kind) {
  switch (kind) {
    case Kind::kUndefined: return "UndefinedValue";
    case Kind::kNull: return "NullValue";
    case Kind::kBool: return "BooleanValue";
    case Kind::kInt: return "IntegerValue";
    case Kind::kFloat: return "FloatValue";
    case Kind::kString: return "StringValue";
    case Kind::kArray: return "ArrayValue";
    case Kind::kTuple: return "TupleValue";
    case Kind::kObject: return "ObjectValue";
    case Kind::kKwargs: return "KeywordArgumentsValue";
    case Kind::kNamespace: return "NamespaceValue";
    case Kind::kFunction: return "FunctionValue";
  }
  return "?";
}

Value Value::string(std::string s) { return Value(Kind::kString, std::make_shared<const std::string>(std::move(s))); }

Value Value::array(Array items, Kind kind) {
  return Value(kind, std::make_shared<const Array>(std::move(items)));
}

Value Value::object(std::shared_ptr<Object> obj, Kind kind) { return Value(kind, std::move(obj)); }

Value Value::function(std::shared_ptr<const Function> fn) { return Value(Kind::kFunction, std::move(fn)); }

const void* Value::identity() const {
  if (const auto* a = std::get_if<ArrayPtr>(&data_)) return a->get();
  if (const auto* o = std::get_if<ObjectPtr>(&data_)) return o->get();
  if (const auto* f = std::get_if<FunctionPtr>(&data_)) return f->get();
  return nullptr;
}

const Value* Object::find(std::string_view key) const {
  if (!index_.empty()) {
    const auto it = index_.find(std::string(key));
    return it == index_.end() ? nullptr : &entries[it->second].second;
  }
  for (const auto& [k, v] : entries) {
    if (k == key) return &v;
  }
  return nullptr;
}

void Object::set(std::string key, Value value) {
  constexpr size_t kIndexFrom = 16;  // below this a linear scan is faster than hashing
  if (!index_.empty()) {
    const auto it = index_.find(key);
    if (it != index_.end()) {
      entries[it->second].second = std::move(value);
      return;
    }
  } else {
    for (auto& [k, v] : entries) {
      if (k == key) {
        v = std::move(value);
        return;
      }
    }
  }
  entries.emplace_back(std::move(key), std::move(value));
  if (!index_.empty()) {
    index_.emplace(entries.back().first, entries.size() - 1);
  } else if (entries.size() >= kIndexFrom) {
    for (size_t i = 0; i < entries.size(); ++i) index_.emplace(entries[i].first, i);
  }
}

std::string display(const Value& v, size_t max_bytes) {
  switch (v.kind()) {
    case Kind::kUndefined: return "undefined";
    case Kind::kNull: return "null";
    case Kind::kBool: return v.as_bool() ? "true" : "false";
    case Kind::kInt: return js::number_to_string(v.number());
    case Kind::kFloat: return js::float_to_string(v.number());
    case Kind::kString: return v.str();
    case Kind::kFunction: throw JinjaError("Cannot convert a function to a string");
    default: {
      JsonOptions options;
      options.max_bytes = max_bytes;
      return to_json(v, options, false);
    }
  }
}

std::string raw_string(const Value& v, size_t max_bytes) {
  switch (v.kind()) {
    case Kind::kBool: return v.as_bool() ? "true" : "false";
    case Kind::kInt:
    case Kind::kFloat: return js::number_to_string(v.number());
    case Kind::kString: return v.str();
    case Kind::kArray:
    case Kind::kTuple: {  // Array.prototype.toString: the elements' toString() joined by ","
      std::string out;
      for (size_t i = 0; i < v.items().size(); ++i) {
        if (i) out += ',';
        out += display(v.items()[i], max_bytes);
        check_size(out, max_bytes);
      }
      return out;
    }
    case Kind::kObject:
    case Kind::kKwargs:
    case Kind::kNamespace: return "[object Map]";
    case Kind::kUndefined: return "undefined";
    case Kind::kNull: return "null";
    case Kind::kFunction: throw JinjaError("Cannot convert a function to a string");
  }
  return {};
}

void append_json(std::string& out, const Value& v, const JsonOptions& options, int depth, bool undefined_to_null) {
  if (depth > kMaxJsonDepth) throw JinjaError("Value nested too deeply to convert to JSON");
  switch (v.kind()) {
    case Kind::kNull: out += "null"; return;
    case Kind::kUndefined: out += undefined_to_null ? "null" : "undefined"; return;
    case Kind::kBool: out += v.as_bool() ? "true" : "false"; return;
    case Kind::kInt:
    case Kind::kFloat: out += std::isfinite(v.number()) ? js::number_to_string(v.number()) : "null"; return;
    case Kind::kString: js::append_json_quoted(out, v.str(), options.ensure_ascii); return;
    case Kind::kArray:
    case Kind::kObject:
    case Kind::kNamespace: break;
    default: throw JinjaError(std::string("Cannot convert to JSON: ") + kind_name(v.kind()));
  }
  const std::string item_sep = options.has_separators ? options.item_separator : (options.indent ? "," : ", ");
  const std::string key_sep = options.has_separators ? options.key_separator : ": ";
  const std::string indent_unit(static_cast<size_t>(options.indent), ' ');
  std::string base_padding = "\n";
  for (int i = 0; i < depth; ++i) base_padding += indent_unit;
  const std::string child_padding = base_padding + indent_unit;
  if (v.is(Kind::kArray)) {
    const Array& items = v.items();
    out += '[';
    for (size_t i = 0; i < items.size(); ++i) {
      if (i) out += item_sep;
      if (options.indent) out += child_padding;
      append_json(out, items[i], options, depth + 1, undefined_to_null);
      check_size(out, options.max_bytes);
    }
    if (options.indent && !items.empty()) out += base_padding;
    out += ']';
    return;
  }
  const Object& obj = v.entries();
  std::vector<const std::pair<std::string, Value>*> entries;
  entries.reserve(obj.size());
  for (const auto& e : obj.entries) entries.push_back(&e);
  if (options.sort_keys) {
    std::stable_sort(entries.begin(), entries.end(), [](auto* a, auto* b) { return locale_less(a->first, b->first); });
  }
  out += '{';
  for (size_t i = 0; i < entries.size(); ++i) {
    if (i) out += item_sep;
    if (options.indent) out += child_padding;
    js::append_json_quoted(out, entries[i]->first, options.ensure_ascii);
    out += key_sep;
    append_json(out, entries[i]->second, options, depth + 1, undefined_to_null);
    check_size(out, options.max_bytes);
  }
  if (options.indent && !entries.empty()) out += base_padding;
  out += '}';
}

std::string to_json(const Value& v, const JsonOptions& options, bool undefined_to_null) {
  std::string out;
  append_json(out, v, options, 0, undefined_to_null);
  return out;
}

bool truthy(const Value& v) {
  switch (v.kind()) {
    case Kind::kUndefined:
    case Kind::kNull: return false;
    case Kind::kBool: return v.as_bool();
    case Kind::kInt:
    case Kind::kFloat: return v.number() != 0 && !std::isnan(v.number());
    case Kind::kString: return !v.str().empty();
    case Kind::kArray:
    case Kind::kTuple: return !v.items().empty();
    case Kind::kObject:
    case Kind::kKwargs: return v.entries().size() > 0;
    case Kind::kNamespace:
    case Kind::kFunction: return true;
  }
  return false;
}

bool raw_truthy(const Value& v) {
  return raw_type(v) == RawType::kObject ? true : truthy(v);
}

bool strict_equals(const Value& a, const Value& b) {
  const RawType ta = raw_type(a);
  if (ta != raw_type(b)) return false;
  switch (ta) {
    case RawType::kUndefined:
    case RawType::kNull: return true;
    case RawType::kBoolean: return a.as_bool() == b.as_bool();
    case RawType::kNumber: return a.number() == b.number();
    case RawType::kString: return a.str() == b.str();
    case RawType::kObject: return a.identity() == b.identity();
  }
  return false;
}

bool loose_equals(const Value& a, const Value& b) {
  const RawType ta = raw_type(a), tb = raw_type(b);
  if (ta == tb) return strict_equals(a, b);
  const bool a_nullish = ta == RawType::kUndefined || ta == RawType::kNull;
  const bool b_nullish = tb == RawType::kUndefined || tb == RawType::kNull;
  if (a_nullish || b_nullish) return a_nullish && b_nullish;
  if (ta == RawType::kObject || tb == RawType::kObject) {
    // ToPrimitive: an array becomes its joined string, a Map "[object Map]".
    const Value& obj = ta == RawType::kObject ? a : b;
    const Value& other = ta == RawType::kObject ? b : a;
    if (obj.is_function()) return false;
    // A primitive this short cannot equal a longer string: stop building there.
    const size_t cap = other.is_string() ? other.str().size() : 1024;
    try {
      return loose_equals(Value::string(raw_string(obj, cap)), other);
    } catch (const JinjaError&) {
      return false;
    }
  }
  // Remaining: number, string and boolean pairings all compare as numbers.
  return to_number_for_equality(a) == to_number_for_equality(b);
}

int compare_values(const Value& a, const Value& b, bool case_sensitive) {
  auto fail = [&](const char* what) {
    throw JinjaError(std::string(what) + kind_name(a.kind()) + " and " + kind_name(b.kind()));
  };
  if (a.is_null() && b.is_null()) return 0;
  if (a.is_null() || b.is_null()) fail("Cannot compare ");
  if (a.is_undefined() && b.is_undefined()) return 0;
  if (a.is_undefined() || b.is_undefined()) fail("Cannot compare ");
  auto numeric = [](const Value& v) { return v.is_number() || v.is(Kind::kBool); };
  if (numeric(a) && numeric(b)) {
    const double x = a.is(Kind::kBool) ? (a.as_bool() ? 1 : 0) : a.number();
    const double y = b.is(Kind::kBool) ? (b.as_bool() ? 1 : 0) : b.number();
    return x < y ? -1 : (x > y ? 1 : 0);
  }
  if (a.kind() != b.kind()) fail("Cannot compare different types: ");
  if (!a.is_string()) throw JinjaError(std::string("Cannot compare type: ") + kind_name(a.kind()));
  if (case_sensitive) return js::compare_utf16(a.str(), b.str());
  return js::compare_utf16(js::to_lower(a.str()), js::to_lower(b.str()));
}

}  // namespace turbine::jinja
