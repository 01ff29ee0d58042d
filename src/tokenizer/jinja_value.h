// Runtime values of the chat-template interpreter, with the reference renderer's semantics
// (@huggingface/jinja 0.5.11): how a value prints, converts to JSON, compares and tests true.
// Values belong to one render; only namespaces are mutable. Not shared between threads.
#pragma once

#include <cstddef>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <variant>
#include <vector>

namespace turbine::jinja {

// A fault while parsing or rendering. `offset` is a byte offset into the template source, or
// kNoOffset until the evaluator attaches the node it was evaluating.
class JinjaError : public std::runtime_error {
 public:
  static constexpr size_t kNoOffset = static_cast<size_t>(-1);
  explicit JinjaError(const std::string& message, size_t offset = kNoOffset)
      : std::runtime_error(message), offset_(offset) {}
  size_t offset() const { return offset_; }
  void set_offset(size_t offset) { offset_ = offset; }

 private:
  size_t offset_;
};

// The reference's runtime types. kTuple and kKwargs behave as arrays and objects except where the
// reference checks the exact type (tojson refuses both, `for a, b` unpacks only kArray).
enum class Kind : uint8_t {
  kUndefined, kNull, kBool, kInt, kFloat, kString, kArray, kTuple, kObject, kKwargs, kNamespace, kFunction,
};
const char* kind_name(Kind kind);  // "StringValue", ...: the reference's names, used in errors

class Value;
using Array = std::vector<Value>;
struct Object;
struct Function;

class Value {
 public:
  Value() = default;  // undefined
  static Value null() { return Value(Kind::kNull, std::monostate{}); }
  static Value boolean(bool b) { return Value(Kind::kBool, b); }
  static Value integer(double v) { return Value(Kind::kInt, v); }  // JavaScript numbers: doubles
  static Value floating(double v) { return Value(Kind::kFloat, v); }
  static Value string(std::string s);
  static Value array(Array items, Kind kind = Kind::kArray);
  static Value object(std::shared_ptr<Object> obj, Kind kind = Kind::kObject);
  static Value function(std::shared_ptr<const Function> fn);

  Kind kind() const { return kind_; }
  bool is(Kind k) const { return kind_ == k; }
  bool is_undefined() const { return kind_ == Kind::kUndefined; }
  bool is_null() const { return kind_ == Kind::kNull; }
  bool is_number() const { return kind_ == Kind::kInt || kind_ == Kind::kFloat; }
  bool is_string() const { return kind_ == Kind::kString; }
  bool is_array() const { return kind_ == Kind::kArray || kind_ == Kind::kTuple; }     // instanceof ArrayValue
  bool is_object() const { return kind_ == Kind::kObject || kind_ == Kind::kKwargs; }  // instanceof ObjectValue
  bool has_entries() const { return is_object() || kind_ == Kind::kNamespace; }       // attribute containers
  bool is_function() const { return kind_ == Kind::kFunction; }

  bool as_bool() const { return std::get<bool>(data_); }
  double number() const { return std::get<double>(data_); }
  const std::string& str() const { return *std::get<StringPtr>(data_); }
  const Array& items() const { return *std::get<ArrayPtr>(data_); }
  Object& entries() const { return *std::get<ObjectPtr>(data_); }
  const Function& fn() const { return *std::get<FunctionPtr>(data_); }
  const std::shared_ptr<Object>& object_ptr() const { return std::get<ObjectPtr>(data_); }
  // Identity of an array, object or function (JavaScript compares these by reference).
  const void* identity() const;

 private:
  using StringPtr = std::shared_ptr<const std::string>;
  using ArrayPtr = std::shared_ptr<const Array>;
  using ObjectPtr = std::shared_ptr<Object>;
  using FunctionPtr = std::shared_ptr<const Function>;
  using Data = std::variant<std::monostate, bool, double, StringPtr, ArrayPtr, ObjectPtr, FunctionPtr>;
  Value(Kind kind, Data data) : kind_(kind), data_(std::move(data)) {}

  Kind kind_ = Kind::kUndefined;
  Data data_;
};

// A JavaScript Map with string keys: insertion order, and set() on a present key keeps its place.
struct Object {
  std::vector<std::pair<std::string, Value>> entries;

  const Value* find(std::string_view key) const;
  void set(std::string key, Value value);
  size_t size() const { return entries.size(); }

 private:
  std::unordered_map<std::string, size_t> index_;  // key -> entries position, once the map grows
};

struct JsonOptions {
  int indent = 0;  // 0: one line
  bool ensure_ascii = false;
  bool sort_keys = false;
  bool has_separators = false;
  std::string item_separator, key_separator;  // when has_separators
  size_t max_bytes = static_cast<size_t>(-1);  // a longer result throws JinjaError
};

// RuntimeValue.toString(): what `{{ value }}` prints.
std::string display(const Value& v, size_t max_bytes = static_cast<size_t>(-1));
// The raw JavaScript value's toString(), what `~` and `+` with a string concatenate (1.0 -> "1").
std::string raw_string(const Value& v, size_t max_bytes = static_cast<size_t>(-1));
// toJSON(): `undefined_to_null` false prints undefined as "undefined" (display of containers).
void append_json(std::string& out, const Value& v, const JsonOptions& options, int depth, bool undefined_to_null);
std::string to_json(const Value& v, const JsonOptions& options, bool undefined_to_null = true);

bool truthy(const Value& v);      // __bool__(): empty arrays and objects are false
bool raw_truthy(const Value& v);  // !!value in JavaScript: every array and object is true
bool loose_equals(const Value& a, const Value& b);   // JavaScript ==
bool strict_equals(const Value& a, const Value& b);  // JavaScript ===
// compareRuntimeValues(): numbers (and booleans) numerically, strings by UTF-16 units (lowered
// first unless case_sensitive); any other pairing throws.
int compare_values(const Value& a, const Value& b, bool case_sensitive);

}  // namespace turbine::jinja
