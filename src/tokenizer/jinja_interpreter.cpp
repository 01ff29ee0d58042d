#include "tokenizer/jinja_interpreter.h"

#include <cmath>

#include "tokenizer/jinja_js.h"

namespace turbine::jinja {

namespace {

const char* kind_of(const Value& v) { return kind_name(v.kind()); }

Value make_function(Function fn) { return Value::function(std::make_shared<const Function>(std::move(fn))); }

Value global_function(const char* name) {
  Function fn;
  fn.type = Function::Type::kGlobal;
  fn.name = name;
  return make_function(std::move(fn));
}

// Array.prototype.at(): negative indices count from the end; anything outside is undefined.
Value array_at(const Array& items, double index) {
  const double length = static_cast<double>(items.size());
  double k = std::isnan(index) ? 0 : std::trunc(index);
  if (k < 0) k += length;
  if (k < 0 || k >= length) return Value();
  return items[static_cast<size_t>(k)];
}

}  // namespace

Value Env::lookup(const std::string& name, const Value& namespace_fn) const {
  // Every scope of the reference starts with its own `namespace`, so only this scope can shadow it.
  if (name == "namespace") {
    for (const auto& [k, v] : vars_) {
      if (k == name) return v;
    }
    return namespace_fn;
  }
  for (const Env* e = this; e != nullptr; e = e->parent_) {
    for (const auto& [k, v] : e->vars_) {
      if (k == name) return v;
    }
  }
  return Value();
}

void Env::set(const std::string& name, Value value) {
  for (auto& [k, v] : vars_) {
    if (k == name) {
      v = std::move(value);
      return;
    }
  }
  vars_.emplace_back(name, std::move(value));
}

bool Env::has_own(const std::string& name) const {
  for (const auto& entry : vars_) {
    if (entry.first == name) return true;
  }
  return false;
}

class Interpreter::DepthGuard {
 public:
  explicit DepthGuard(Interpreter& in) : in_(in) { ++in_.depth_; }
  ~DepthGuard() { --in_.depth_; }
  void check() const {
    if (in_.depth_ > in_.limits_.max_depth) {
      throw JinjaError("template nests or recurses more than " + std::to_string(in_.limits_.max_depth) + " levels deep");
    }
    in_.tick();
  }

 private:
  Interpreter& in_;
};

Interpreter::Interpreter(const ChatTemplateLimits& limits, std::optional<std::chrono::system_clock::time_point> now)
    : limits_(limits), now_(now), namespace_fn_(global_function("namespace")) {}

Interpreter::~Interpreter() {
  for (auto& ns : namespaces_) ns->entries.clear();
}

void Interpreter::charge(size_t bytes) {
  check_length(bytes);
  bytes_ += bytes;
  if (bytes_ > limits_.max_total_bytes) {
    throw JinjaError("render built more than " + std::to_string(limits_.max_total_bytes) + " bytes of values");
  }
}

void Interpreter::charge_items(size_t n) { charge(n * sizeof(Value)); }

void Interpreter::tick() {
  if (++steps_ > limits_.max_steps) {
    throw JinjaError("template took more than " + std::to_string(limits_.max_steps) + " evaluation steps");
  }
}

void Interpreter::check_length(size_t bytes) const {
  if (bytes > limits_.max_string_bytes) {
    throw JinjaError("string longer than the limit of " + std::to_string(limits_.max_string_bytes) + " bytes");
  }
}

Value Interpreter::make_object(std::shared_ptr<Object> obj, Kind kind) {
  charge_items(obj->size() * 2);
  if (kind == Kind::kNamespace) namespaces_.push_back(obj);
  return Value::object(std::move(obj), kind);
}

Env& Interpreter::new_env(Env* parent) { return envs_.emplace_back(parent); }

Env& Interpreter::make_globals(std::vector<std::pair<std::string, Value>> context) {
  Env& env = new_env(nullptr);
  env.set("false", Value::boolean(false));
  env.set("true", Value::boolean(true));
  env.set("none", Value::null());
  env.set("raise_exception", global_function("raise_exception"));
  env.set("range", global_function("range"));
  env.set("strftime_now", global_function("strftime_now"));
  env.set("True", Value::boolean(true));
  env.set("False", Value::boolean(false));
  env.set("None", Value::null());
  for (auto& [name, value] : context) {
    if (env.has_own(name) || name == "namespace") throw JinjaError("Variable already declared: " + name);
    env.set(name, std::move(value));
  }
  return env;
}

std::string Interpreter::run(const Program& program, Env& globals) {
  try {
    return eval_block(program.body, globals);
  } catch (const LoopControl& control) {
    throw JinjaError(control.is_break ? "'break' outside of a loop" : "'continue' outside of a loop", control.offset);
  }
}

Value Interpreter::eval(const Node& node, Env& env) {
  try {
    DepthGuard guard(*this);
    guard.check();
    return eval_node(node, env);
  } catch (JinjaError& e) {
    if (e.offset() == JinjaError::kNoOffset) e.set_offset(node.offset);
    throw;
  }
}

std::string Interpreter::eval_block(const NodeList& nodes, Env& env) {
  std::string out;
  for (const auto& node : nodes) {
    if (node->kind == NodeKind::kStringLiteral) {  // template text: no need for a Value
      tick();
      out += as<StringLiteral>(*node).value;
      charge(as<StringLiteral>(*node).value.size());
      check_length(out.size());
      continue;
    }
    const Value v = eval(*node, env);
    if (v.is_null() || v.is_undefined()) continue;
    const size_t before = out.size();
    try {
      if (v.is_string()) out += v.str();
      else out += display(v, limits_.max_string_bytes);
      charge(out.size() - before);
      check_length(out.size());
    } catch (JinjaError& e) {
      if (e.offset() == JinjaError::kNoOffset) e.set_offset(node->offset);
      throw;
    }
  }
  return out;
}

Value Interpreter::eval_node(const Node& node, Env& env) {
  switch (node.kind) {
    case NodeKind::kIf: {
      const auto& n = as<If>(node);
      return Value::string(eval_block(truthy(eval(*n.test, env)) ? n.body : n.alternate, env));
    }
    case NodeKind::kFor: return eval_for(as<For>(node), env);
    case NodeKind::kBreak: throw LoopControl{true, node.offset};
    case NodeKind::kContinue: throw LoopControl{false, node.offset};
    case NodeKind::kSet: return eval_set(as<Set>(node), env);
    case NodeKind::kMacro: {
      Function fn;
      fn.type = Function::Type::kMacro;
      fn.name = as<Macro>(node).name;
      fn.macro = &as<Macro>(node);
      env.set(as<Macro>(node).name, make_function(std::move(fn)));
      return Value::null();
    }
    case NodeKind::kComment: return Value::null();
    case NodeKind::kCallStatement: return eval_call_statement(as<CallStatement>(node), env);
    case NodeKind::kFilterStatement: {
      const auto& n = as<FilterStatement>(node);
      return apply_filter(Value::string(eval_block(n.body, env)), *n.filter, env);
    }
    case NodeKind::kIdentifier: return env.lookup(as<Identifier>(node).name, namespace_fn_);
    case NodeKind::kIntegerLiteral: return Value::integer(as<NumberLiteral>(node).value);
    case NodeKind::kFloatLiteral: return Value::floating(as<NumberLiteral>(node).value);
    case NodeKind::kStringLiteral: return Value::string(as<StringLiteral>(node).value);
    case NodeKind::kArrayLiteral:
    case NodeKind::kTupleLiteral: {
      Array items;
      for (const auto& item : as<ListLiteral>(node).items) items.push_back(eval(*item, env));
      return make_array(std::move(items), node.kind == NodeKind::kTupleLiteral ? Kind::kTuple : Kind::kArray);
    }
    case NodeKind::kObjectLiteral: return eval_object_literal(as<ObjectLiteral>(node), env);
    case NodeKind::kMember: return eval_member(as<Member>(node), env);
    case NodeKind::kCall: return eval_call(as<Call>(node), env);
    case NodeKind::kUnary: return eval_unary(as<Unary>(node), env);
    case NodeKind::kBinary: return eval_binary(as<Binary>(node), env);
    case NodeKind::kFilter: {
      const auto& n = as<Filter>(node);
      return apply_filter(eval(*n.operand, env), *n.filter, env);
    }
    case NodeKind::kTest: {
      const auto& n = as<Test>(node);
      const bool result = run_test(n.test, eval(*n.operand, env), nullptr);
      return Value::boolean(n.negate ? !result : result);
    }
    case NodeKind::kSelect: {
      const auto& n = as<Select>(node);
      if (!truthy(eval(*n.test, env))) return Value();
      return eval(*n.lhs, env);
    }
    case NodeKind::kTernary: {
      const auto& n = as<Ternary>(node);
      return truthy(eval(*n.condition, env)) ? eval(*n.true_expr, env) : eval(*n.false_expr, env);
    }
    default: throw JinjaError("this expression cannot stand alone here");
  }
}

Value Interpreter::eval_set(const Set& node, Env& env) {
  Value rhs = node.value ? eval(*node.value, env) : Value::string(eval_block(node.body, env));
  const Node& target = *node.assignee;
  if (target.kind == NodeKind::kIdentifier) {
    env.set(as<Identifier>(target).name, std::move(rhs));
  } else if (target.kind == NodeKind::kTupleLiteral) {
    const NodeList& names = as<ListLiteral>(target).items;
    if (!rhs.is_array()) throw JinjaError(std::string("Cannot unpack non-iterable type in set: ") + kind_of(rhs));
    if (rhs.items().size() != names.size()) {
      throw JinjaError(std::string("Too ") + (names.size() > rhs.items().size() ? "few" : "many") + " items to unpack in set");
    }
    for (size_t i = 0; i < names.size(); ++i) {
      if (names[i]->kind != NodeKind::kIdentifier) throw JinjaError("Cannot unpack to non-identifier in set");
      env.set(as<Identifier>(*names[i]).name, rhs.items()[i]);
    }
  } else if (target.kind == NodeKind::kMember) {
    const auto& member = as<Member>(target);
    const Value object = eval(*member.object, env);
    if (!object.is(Kind::kNamespace)) throw JinjaError("cannot assign attribute on non-namespace object");
    if (member.property->kind != NodeKind::kIdentifier) throw JinjaError("Cannot assign to member with non-identifier property");
    object.entries().set(as<Identifier>(*member.property).name, std::move(rhs));
  } else {
    throw JinjaError("Invalid left-hand side of an assignment");
  }
  return Value::null();
}

Value Interpreter::eval_for(const For& node, Env& env) {
  Env& scope = new_env(&env);
  const Node* test = nullptr;
  Value iterable;
  if (node.iterable->kind == NodeKind::kSelect) {
    iterable = eval(*as<Select>(*node.iterable).lhs, scope);
    test = as<Select>(*node.iterable).test.get();
  } else {
    iterable = eval(*node.iterable, scope);
  }
  if (!iterable.is_array() && !iterable.is_object()) {
    throw JinjaError(std::string("Expected iterable or object type in for loop: got ") + kind_of(iterable));
  }
  Array source;
  if (iterable.is_object()) {
    for (const auto& entry : iterable.entries().entries) source.push_back(Value::string(entry.first));
  }
  const Array& candidates = iterable.is_object() ? source : iterable.items();

  const Node& var = *node.loopvar;
  auto assign = [&](Env& target, const Value& current) {
    if (var.kind == NodeKind::kIdentifier) {
      target.set(as<Identifier>(var).name, current);
      return;
    }
    const NodeList& names = as<ListLiteral>(var).items;
    for (size_t j = 0; j < names.size(); ++j) {
      if (names[j]->kind != NodeKind::kIdentifier) throw JinjaError("Cannot unpack to a non-identifier in a for loop");
      target.set(as<Identifier>(*names[j]).name, current.items()[j]);
    }
  };
  Array items;  // the items that pass the loop's `if`
  for (const Value& current : candidates) {
    tick();  // an empty body evaluates nothing, yet every iteration is work
    if (var.kind == NodeKind::kTupleLiteral) {
      const size_t want = as<ListLiteral>(var).items.size();
      if (!current.is(Kind::kArray)) throw JinjaError(std::string("Cannot unpack non-iterable type: ") + kind_of(current));
      if (current.items().size() != want) {
        throw JinjaError(std::string("Too ") + (want > current.items().size() ? "few" : "many") + " items to unpack");
      }
    }
    if (test != nullptr) {
      Env& loop_scope = new_env(&scope);
      assign(loop_scope, current);
      if (!truthy(eval(*test, loop_scope))) continue;
    }
    items.push_back(current);
  }

  std::string result;
  bool no_iteration = true;
  const double length = static_cast<double>(items.size());
  for (size_t i = 0; i < items.size(); ++i) {
    tick();
    auto loop = std::make_shared<Object>();
    const double index = static_cast<double>(i);
    loop->set("index", Value::integer(index + 1));
    loop->set("index0", Value::integer(index));
    loop->set("revindex", Value::integer(length - index));
    loop->set("revindex0", Value::integer(length - index - 1));
    loop->set("first", Value::boolean(i == 0));
    loop->set("last", Value::boolean(i + 1 == items.size()));
    loop->set("length", Value::integer(length));
    loop->set("previtem", i > 0 ? items[i - 1] : Value());
    loop->set("nextitem", i + 1 < items.size() ? items[i + 1] : Value());
    scope.set("loop", Value::object(std::move(loop)));
    assign(scope, items[i]);
    try {
      // An iteration that `break` or `continue` leaves contributes nothing, as in the reference.
      result += eval_block(node.body, scope);
      check_length(result.size());
    } catch (const LoopControl& control) {
      if (control.is_break) break;
      continue;
    }
    no_iteration = false;
  }
  if (no_iteration) result += eval_block(node.default_block, scope);
  return Value::string(std::move(result));
}

Value Interpreter::eval_call_statement(const CallStatement& node, Env& env) {
  Function caller;
  caller.type = Function::Type::kCaller;
  caller.name = "caller";
  caller.call = &node;
  caller.env = &env;
  auto [args, kwargs] = eval_args(node.call->args, env);
  args.push_back(make_object(std::move(kwargs), Kind::kKwargs));
  const Value fn = eval(*node.call->callee, env);
  if (!fn.is_function()) throw JinjaError(std::string("Cannot call something that is not a function: got ") + kind_of(fn));
  Env& call_env = new_env(&env);
  call_env.set("caller", make_function(std::move(caller)));
  return call_function(fn, std::move(args), call_env);
}

Value Interpreter::eval_binary(const Binary& node, Env& env) {
  const Value left = eval(*node.left, env);
  if (node.op == BinaryOp::kAnd) return truthy(left) ? eval(*node.right, env) : left;
  if (node.op == BinaryOp::kOr) return truthy(left) ? left : eval(*node.right, env);
  const Value right = eval(*node.right, env);
  const BinaryOp op = node.op;
  if (op == BinaryOp::kEq) return Value::boolean(loose_equals(left, right));
  if (op == BinaryOp::kNe) return Value::boolean(!loose_equals(left, right));
  if (left.is_undefined() || right.is_undefined()) {
    if (right.is_undefined() && (op == BinaryOp::kIn || op == BinaryOp::kNotIn)) return Value::boolean(op == BinaryOp::kNotIn);
    throw JinjaError(std::string("Cannot perform operation ") + binary_op_text(op) + " on undefined values");
  }
  if (left.is_null() || right.is_null()) throw JinjaError("Cannot perform operation on null values");
  const size_t max = limits_.max_string_bytes;
  if (op == BinaryOp::kConcat) return make_string(raw_string(left, max) + raw_string(right, max));
  auto numeric_like = [](const Value& v) { return v.is_number() || v.is(Kind::kBool); };
  if (op == BinaryOp::kPow && numeric_like(left) && numeric_like(right)) return eval_arithmetic(op, left, right);
  if (left.is_number() && right.is_number()) {
    if (op != BinaryOp::kIn && op != BinaryOp::kNotIn) return eval_arithmetic(op, left, right);
  } else if (left.is_array() && right.is_array()) {
    if (op == BinaryOp::kAdd) {
      Array joined = left.items();
      joined.insert(joined.end(), right.items().begin(), right.items().end());
      return make_array(std::move(joined));
    }
  } else if (right.is_array()) {
    if (op == BinaryOp::kIn || op == BinaryOp::kNotIn) {
      bool member = false;
      for (const Value& item : right.items()) member = member || strict_equals(item, left);
      return Value::boolean(op == BinaryOp::kIn ? member : !member);
    }
  }
  if ((left.is_string() || right.is_string()) && op == BinaryOp::kAdd) {
    return make_string(raw_string(left, max) + raw_string(right, max));
  }
  if (left.is_string() && right.is_string() && (op == BinaryOp::kIn || op == BinaryOp::kNotIn)) {
    const bool found = right.str().find(left.str()) != std::string::npos;
    return Value::boolean(op == BinaryOp::kIn ? found : !found);
  }
  if (left.is_string() && right.is_object() && (op == BinaryOp::kIn || op == BinaryOp::kNotIn)) {
    const bool found = right.entries().find(left.str()) != nullptr;
    return Value::boolean(op == BinaryOp::kIn ? found : !found);
  }
  throw JinjaError(std::string("Unknown operator \"") + binary_op_text(op) + "\" between " + kind_of(left) + " and " +
                   kind_of(right));
}

Value Interpreter::eval_arithmetic(BinaryOp op, const Value& left, const Value& right) {
  auto num = [](const Value& v) { return v.is(Kind::kBool) ? (v.as_bool() ? 1.0 : 0.0) : v.number(); };
  const double a = num(left), b = num(right);
  const bool any_float = left.is(Kind::kFloat) || right.is(Kind::kFloat);
  auto result = [&](double r, bool is_float) { return is_float ? Value::floating(r) : Value::integer(r); };
  switch (op) {
    case BinaryOp::kPow: {
      if (a == 0 && b < 0) throw JinjaError("0.0 cannot be raised to a negative power");
      // JavaScript's ** differs from pow() in one corner: 1 ** Infinity is NaN.
      const double r = (std::fabs(a) == 1 && std::isinf(b)) ? std::nan("") : std::pow(a, b);
      if (!std::isfinite(r)) throw JinjaError("Exponentiation result is not a finite real number");
      return result(r, any_float || b < 0);
    }
    case BinaryOp::kAdd: return result(a + b, any_float);
    case BinaryOp::kSub: return result(a - b, any_float);
    case BinaryOp::kMul: return result(a * b, any_float);
    case BinaryOp::kDiv: return Value::floating(a / b);
    case BinaryOp::kFloorDiv: return result(std::floor(a / b), any_float);
    case BinaryOp::kMod: return result(std::fmod(a, b), any_float);
    case BinaryOp::kLt: return Value::boolean(a < b);
    case BinaryOp::kGt: return Value::boolean(a > b);
    case BinaryOp::kGe: return Value::boolean(a >= b);
    case BinaryOp::kLe: return Value::boolean(a <= b);
    default:
      throw JinjaError(std::string("Unknown operator \"") + binary_op_text(op) + "\" between " + kind_of(left) + " and " +
                       kind_of(right));
  }
}

Value Interpreter::eval_unary(const Unary& node, Env& env) {
  const Value arg = eval(*node.arg, env);
  if (node.op == "not") return Value::boolean(!truthy(arg));
  if (arg.is_number() || arg.is(Kind::kBool)) {
    const double v = arg.is(Kind::kBool) ? (arg.as_bool() ? 1 : 0) : arg.number();
    const double r = node.op == "-" ? -v : v;
    return arg.is(Kind::kFloat) ? Value::floating(r) : Value::integer(r);
  }
  throw JinjaError("Unknown operator \"" + node.op + "\" for " + kind_of(arg));
}

Value Interpreter::eval_member(const Member& node, Env& env) {
  const Value object = eval(*node.object, env);
  Value property;
  if (node.computed) {
    if (node.property->kind == NodeKind::kSlice) return eval_slice(object, as<Slice>(*node.property), env);
    property = eval(*node.property, env);
  } else if (node.property->kind == NodeKind::kIntegerLiteral) {
    property = Value::integer(as<NumberLiteral>(*node.property).value);
  } else {
    property = Value::string(as<Identifier>(*node.property).name);
  }
  if (object.has_entries()) {
    if (!property.is_string()) throw JinjaError(std::string("Cannot access property with non-string: got ") + kind_of(property));
    if (const Value* v = object.entries().find(property.str())) return *v;
    return object.is_object() ? member_builtin(object, property.str()) : Value();
  }
  if (object.is_array() || object.is_string()) {
    if (property.is(Kind::kInt)) {
      if (object.is_array()) return array_at(object.items(), property.number());
      auto c = js::at_utf16(object.str(), property.number());
      return c ? Value::string(std::move(*c)) : Value();
    }
    if (property.is_string()) return member_builtin(object, property.str());
    throw JinjaError(std::string("Cannot access property with non-string/non-number: got ") + kind_of(property));
  }
  if (!property.is_string()) throw JinjaError(std::string("Cannot access property with non-string: got ") + kind_of(property));
  return Value();  // no other type has attributes
}

Value Interpreter::eval_slice(const Value& object, const Slice& slice, Env& env) {
  if (!object.is_array() && !object.is_string()) throw JinjaError("Slice object must be an array or string");
  auto bound = [&](const NodePtr& n, const char* what) {
    Value v = n ? eval(*n, env) : Value();
    if (!v.is(Kind::kInt) && !v.is_undefined()) throw JinjaError(std::string("Slice ") + what + " must be numeric or undefined");
    return v;
  };
  const Value start_v = bound(slice.start, "start"), stop_v = bound(slice.stop, "stop"), step_v = bound(slice.step, "step");
  std::vector<std::string_view> chars;
  if (object.is_string()) chars = js::code_points(object.str());
  const double length = static_cast<double>(object.is_array() ? object.items().size() : chars.size());
  const double step = step_v.is_undefined() ? 1 : step_v.number();
  const double direction = std::isnan(step) ? std::nan("") : (step > 0 ? 1 : (step < 0 ? -1 : 0));
  double start = 0, stop = 0;
  if (direction >= 0) {
    start = start_v.is_undefined() ? 0 : start_v.number();
    start = start < 0 ? std::max(length + start, 0.0) : std::min(start, length);
    stop = stop_v.is_undefined() ? length : stop_v.number();
    stop = stop < 0 ? std::max(length + stop, 0.0) : std::min(stop, length);
  } else {
    start = start_v.is_undefined() ? length - 1 : start_v.number();
    start = start < 0 ? std::max(length + start, -1.0) : std::min(start, length - 1);
    stop = stop_v.is_undefined() ? -1 : stop_v.number();
    stop = stop < -1 ? std::max(length + stop, -1.0) : std::min(stop, length - 1);
  }
  Array items;
  std::string text;
  for (double i = start; direction * i < direction * stop; i += step) {
    const auto k = static_cast<size_t>(i);
    if (object.is_array()) items.push_back(object.items()[k]);
    else text += chars[k];
  }
  return object.is_array() ? make_array(std::move(items)) : make_string(std::move(text));
}

Value Interpreter::eval_object_literal(const ObjectLiteral& node, Env& env) {
  auto obj = std::make_shared<Object>();
  for (const auto& [key_node, value_node] : node.entries) {
    const Value key = eval(*key_node, env);
    if (!key.is_string()) throw JinjaError(std::string("Object keys must be strings: got ") + kind_of(key));
    obj->set(key.str(), eval(*value_node, env));
  }
  return make_object(std::move(obj));
}

std::pair<Array, std::shared_ptr<Object>> Interpreter::eval_args(const NodeList& args, Env& env) {
  Array positional;
  auto keywords = std::make_shared<Object>();
  for (const auto& arg : args) {
    if (arg->kind == NodeKind::kSpread) {
      const Value v = eval(*as<Spread>(*arg).arg, env);
      if (!v.is_array()) throw JinjaError(std::string("Cannot unpack non-iterable type: ") + kind_of(v));
      positional.insert(positional.end(), v.items().begin(), v.items().end());
    } else if (arg->kind != NodeKind::kKeywordArgument && arg->kind != NodeKind::kKeywordSpread) {
      positional.push_back(eval(*arg, env));
    }
  }
  auto add = [&](const std::string& key, Value value) {
    if (keywords->find(key)) throw JinjaError("Got multiple values for keyword argument '" + key + "'");
    keywords->set(key, std::move(value));
  };
  for (const auto& arg : args) {
    if (arg->kind == NodeKind::kKeywordArgument) {
      add(as<KeywordArgument>(*arg).key, eval(*as<KeywordArgument>(*arg).value, env));
    } else if (arg->kind == NodeKind::kKeywordSpread) {
      const Value v = eval(*as<Spread>(*arg).arg, env);
      if (!v.is_object()) throw JinjaError(std::string("Argument after ** must be a mapping, not ") + kind_of(v));
      for (const auto& [k, value] : v.entries().entries) add(k, value);
    }
  }
  charge_items(positional.size() + keywords->size());
  return {std::move(positional), std::move(keywords)};
}

Value Interpreter::eval_call(const Call& node, Env& env) {
  auto [args, kwargs] = eval_args(node.args, env);
  if (kwargs->size() > 0) args.push_back(make_object(std::move(kwargs), Kind::kKwargs));
  const Value fn = eval(*node.callee, env);
  if (!fn.is_function()) throw JinjaError(std::string("Cannot call something that is not a function: got ") + kind_of(fn));
  return call_function(fn, std::move(args), env);
}

}  // namespace turbine::jinja
