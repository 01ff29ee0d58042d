// Evaluates a parsed chat template the way @huggingface/jinja's Interpreter does: scopes,
// loops, macros and calls, filters, tests and builtins. One Interpreter per render, used by the
// one thread doing that render; it owns every scope and namespace the render creates, and
// limits its work, depth and memory so a hostile template fails with an error instead of
// hanging or exhausting the process.
// Why exceptions inside: the reference's semantics are defined by them (an iteration's output
// is dropped when `break` unwinds it, a raise anywhere aborts the render); render() in
// chat_template.cpp turns every one into a Status.
#pragma once

#include <chrono>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "tokenizer/chat_template.h"
#include "tokenizer/jinja_ast.h"
#include "tokenizer/jinja_value.h"

namespace turbine::jinja {

class Env;

// A callable value. Globals and methods are native; macros and `caller` run template code.
struct Function {
  enum class Type { kGlobal, kMacro, kCaller, kMethod };
  Type type;
  std::string name;                     // global or method name ("range", "startswith")
  const Macro* macro = nullptr;         // kMacro
  const CallStatement* call = nullptr;  // kCaller: the {% call %} whose body it renders
  Env* env = nullptr;                   // kCaller: the scope that {% call %} ran in
  Value receiver;                       // kMethod: the string or object it is a method of
};

// A scope. Lookups walk to the parents; set() always writes here (Jinja's scoping rule).
class Env {
 public:
  explicit Env(Env* parent) : parent_(parent) {}
  Value lookup(const std::string& name, const Value& namespace_fn) const;
  void set(const std::string& name, Value value);
  bool has_own(const std::string& name) const;

 private:
  Env* parent_;
  std::vector<std::pair<std::string, Value>> vars_;
};

// A `break` or `continue` unwinding to the innermost loop that is running.
struct LoopControl {
  bool is_break;
  size_t offset;
};

class Interpreter {
 public:
  Interpreter(const ChatTemplateLimits& limits, std::optional<std::chrono::system_clock::time_point> now);
  ~Interpreter();

  // Declares the globals (true, none, range, raise_exception, ...) and the context's variables.
  Env& make_globals(std::vector<std::pair<std::string, Value>> context);
  std::string run(const Program& program, Env& globals);

  // Counts `bytes` against the render's memory budget; every string and list the template
  // builds passes through here.
  void charge(size_t bytes);
  Value make_string(std::string s) {
    charge(s.size());
    return Value::string(std::move(s));
  }
  Value make_array(Array items, Kind kind = Kind::kArray) {
    charge_items(items.size());
    return Value::array(std::move(items), kind);
  }
  Value make_object(std::shared_ptr<Object> obj, Kind kind = Kind::kObject);
  void charge_items(size_t n);
  void check_length(size_t bytes) const;  // throws when one string would pass the limit
  void tick();                            // one step of work; throws past the step limit

 private:
  class DepthGuard;

  Env& new_env(Env* parent);
  Value eval(const Node& node, Env& env);
  Value eval_node(const Node& node, Env& env);
  std::string eval_block(const NodeList& nodes, Env& env);
  Value eval_set(const Set& node, Env& env);
  Value eval_for(const For& node, Env& env);
  Value eval_call_statement(const CallStatement& node, Env& env);
  Value eval_binary(const Binary& node, Env& env);
  Value eval_arithmetic(BinaryOp op, const Value& left, const Value& right);
  Value eval_unary(const Unary& node, Env& env);
  Value eval_member(const Member& node, Env& env);
  Value eval_slice(const Value& object, const Slice& slice, Env& env);
  Value eval_object_literal(const ObjectLiteral& node, Env& env);
  Value eval_call(const Call& node, Env& env);
  std::pair<Array, std::shared_ptr<Object>> eval_args(const NodeList& args, Env& env);

  // jinja_builtins.cpp
  Value member_builtin(const Value& object, const std::string& name);
  Value call_function(const Value& fn, Array args, Env& env);
  Value call_global(const std::string& name, Array args);
  Value call_method(const Function& fn, const Array& args);
  Value call_string_method(const std::string& s, const std::string& name, const Array& args);
  Value call_object_method(const Value& object, const std::string& name, const Array& args);
  Value make_namespace(Array args);
  Value strftime_now(const Array& args);
  void bind_macro_args(const std::string& display_name, const NodeList& params, bool uses_varargs, bool uses_kwargs,
                       Array args, Env& scope);
  Value dictsort(const Value& object, const Array& args);

  // jinja_filters.cpp
  Value apply_filter(const Value& operand, const Node& filter, Env& env);
  Value apply_plain_filter(const Value& operand, const std::string& name);
  Value apply_call_filter(const Value& operand, const Call& filter, Env& env);
  Value apply_string_call_filter(const Value& operand, const std::string& name, const Call& filter, Env& env);
  Value apply_array_call_filter(const Value& operand, const std::string& name, const Call& filter, Env& env);
  bool run_test(const std::string& name, const Value& operand, const Value* arg);

  ChatTemplateLimits limits_;
  std::optional<std::chrono::system_clock::time_point> now_;
  std::deque<Env> envs_;                              // every scope of this render
  std::vector<std::shared_ptr<Object>> namespaces_;   // emptied at the end: breaks reference cycles
  Value namespace_fn_;
  size_t steps_ = 0;
  size_t bytes_ = 0;
  int depth_ = 0;
};

}  // namespace turbine::jinja
