// The chat-template syntax tree, shaped as @huggingface/jinja's (statements and expressions
// share one Node type, because the reference evaluates both the same way). Built once by the
// parser and immutable afterwards, so renders on several threads share it.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace turbine::jinja {

enum class NodeKind : uint8_t {
  // Statements
  kIf, kFor, kBreak, kContinue, kSet, kMacro, kComment, kCallStatement, kFilterStatement,
  // Expressions
  kIdentifier, kIntegerLiteral, kFloatLiteral, kStringLiteral, kArrayLiteral, kTupleLiteral,
  kObjectLiteral, kMember, kCall, kUnary, kBinary, kFilter, kTest, kSelect, kTernary, kSlice,
  kKeywordArgument, kSpread, kKeywordSpread,
};

struct Node {
  Node(NodeKind k, size_t off) : kind(k), offset(off) {}
  virtual ~Node() = default;
  NodeKind kind;
  size_t offset;  // byte offset of the node's first token in the template source (for errors)
};

using NodePtr = std::unique_ptr<Node>;
using NodeList = std::vector<NodePtr>;

template <typename T>
const T& as(const Node& n) {
  return static_cast<const T&>(n);
}

struct If : Node {
  If(size_t off) : Node(NodeKind::kIf, off) {}
  NodePtr test;
  NodeList body, alternate;  // an elif is an If alone in `alternate`
};

struct For : Node {
  For(size_t off) : Node(NodeKind::kFor, off) {}
  NodePtr loopvar;   // Identifier or TupleLiteral of identifiers
  NodePtr iterable;  // a Select here filters the items (`for x in xs if x.ok`)
  NodeList body, default_block;
};

struct Set : Node {
  Set(size_t off) : Node(NodeKind::kSet, off) {}
  NodePtr assignee;  // Identifier, TupleLiteral or Member (namespace attribute)
  NodePtr value;     // null for a block set ({% set x %}...{% endset %})
  NodeList body;
};

struct Macro : Node {
  Macro(size_t off) : Node(NodeKind::kMacro, off) {}
  std::string name;
  NodeList args;  // Identifier or KeywordArgument (parameter with a default)
  NodeList body;
  bool uses_varargs = false, uses_kwargs = false;  // body reads `varargs` / `kwargs`
};

struct Identifier : Node {
  Identifier(size_t off, std::string n) : Node(NodeKind::kIdentifier, off), name(std::move(n)) {}
  std::string name;
};

struct NumberLiteral : Node {  // kIntegerLiteral or kFloatLiteral
  NumberLiteral(NodeKind k, size_t off, double v) : Node(k, off), value(v) {}
  double value;
};

struct StringLiteral : Node {  // also the template's plain text
  StringLiteral(size_t off, std::string v) : Node(NodeKind::kStringLiteral, off), value(std::move(v)) {}
  std::string value;
};

struct ListLiteral : Node {  // kArrayLiteral or kTupleLiteral
  ListLiteral(NodeKind k, size_t off) : Node(k, off) {}
  NodeList items;
};

struct ObjectLiteral : Node {
  ObjectLiteral(size_t off) : Node(NodeKind::kObjectLiteral, off) {}
  std::vector<std::pair<NodePtr, NodePtr>> entries;
};

struct Member : Node {
  Member(size_t off) : Node(NodeKind::kMember, off) {}
  NodePtr object, property;  // property: an expression or Slice when computed ([...])
  bool computed = false;
};

struct Call : Node {
  Call(size_t off) : Node(NodeKind::kCall, off) {}
  NodePtr callee;
  NodeList args;  // expressions, KeywordArgument, Spread, KeywordSpread
};

struct CallStatement : Node {
  CallStatement(size_t off) : Node(NodeKind::kCallStatement, off) {}
  std::unique_ptr<Call> call;
  NodeList caller_args;  // parameters of `caller`
  NodeList body;
  bool uses_varargs = false, uses_kwargs = false;
};

struct FilterStatement : Node {
  FilterStatement(size_t off) : Node(NodeKind::kFilterStatement, off) {}
  NodePtr filter;  // Identifier or Call
  NodeList body;
};

struct Unary : Node {
  Unary(size_t off, std::string o, NodePtr a) : Node(NodeKind::kUnary, off), op(std::move(o)), arg(std::move(a)) {}
  std::string op;  // "not", "-", "+"
  NodePtr arg;
};

enum class BinaryOp : uint8_t {
  kAnd, kOr, kEq, kNe, kLt, kGt, kLe, kGe, kAdd, kSub, kConcat, kMul, kDiv, kFloorDiv, kMod, kPow, kIn, kNotIn,
};
const char* binary_op_text(BinaryOp op);

struct Binary : Node {
  Binary(size_t off, BinaryOp o, NodePtr l, NodePtr r)
      : Node(NodeKind::kBinary, off), op(o), left(std::move(l)), right(std::move(r)) {}
  BinaryOp op;
  NodePtr left, right;
};

struct Filter : Node {  // operand | filter
  Filter(size_t off, NodePtr o, NodePtr f) : Node(NodeKind::kFilter, off), operand(std::move(o)), filter(std::move(f)) {}
  NodePtr operand;
  NodePtr filter;  // Identifier or Call whose callee is an Identifier
};

struct Test : Node {  // operand is [not] test
  Test(size_t off) : Node(NodeKind::kTest, off) {}
  NodePtr operand;
  bool negate = false;
  std::string test;
};

struct Select : Node {  // lhs if test (no else): undefined when the test fails
  Select(size_t off, NodePtr l, NodePtr t) : Node(NodeKind::kSelect, off), lhs(std::move(l)), test(std::move(t)) {}
  NodePtr lhs, test;
};

struct Ternary : Node {
  Ternary(size_t off) : Node(NodeKind::kTernary, off) {}
  NodePtr condition, true_expr, false_expr;
};

struct Slice : Node {
  Slice(size_t off) : Node(NodeKind::kSlice, off) {}
  NodePtr start, stop, step;  // each may be null
};

struct KeywordArgument : Node {
  KeywordArgument(size_t off, std::string k, NodePtr v)
      : Node(NodeKind::kKeywordArgument, off), key(std::move(k)), value(std::move(v)) {}
  std::string key;
  NodePtr value;
};

struct Spread : Node {  // kSpread (*args) or kKeywordSpread (**kwargs)
  Spread(NodeKind k, size_t off, NodePtr a) : Node(k, off), arg(std::move(a)) {}
  NodePtr arg;
};

struct Program {
  NodeList body;
};

}  // namespace turbine::jinja
