#include "tokenizer/jinja_parser.h"

#include <charconv>
#include <cmath>
#include <initializer_list>
#include <limits>
#include <set>
#include <string>
#include <vector>

#include "tokenizer/jinja_lexer.h"
#include "tokenizer/jinja_macro_scan.h"
#include "tokenizer/jinja_value.h"

namespace turbine::jinja {

const char* binary_op_text(BinaryOp op) {
  switch (op) {
    case BinaryOp::kAnd: return "and";
    case BinaryOp::kOr: return "or";
    case BinaryOp::kEq: return "==";
    case BinaryOp::kNe: return "!=";
    case BinaryOp::kLt: return "<";
    case BinaryOp::kGt: return ">";
    case BinaryOp::kLe: return "<=";
    case BinaryOp::kGe: return ">=";
    case BinaryOp::kAdd: return "+";
    case BinaryOp::kSub: return "-";
    case BinaryOp::kConcat: return "~";
    case BinaryOp::kMul: return "*";
    case BinaryOp::kDiv: return "/";
    case BinaryOp::kFloorDiv: return "//";
    case BinaryOp::kMod: return "%";
    case BinaryOp::kPow: return "**";
    case BinaryOp::kIn: return "in";
    case BinaryOp::kNotIn: return "not in";
  }
  return "?";
}

namespace {

BinaryOp binary_op_from(const std::string& s) {
  static const std::pair<const char*, BinaryOp> kOps[] = {
      {"==", BinaryOp::kEq}, {"!=", BinaryOp::kNe}, {"<", BinaryOp::kLt}, {">", BinaryOp::kGt},
      {"<=", BinaryOp::kLe}, {">=", BinaryOp::kGe}, {"+", BinaryOp::kAdd}, {"-", BinaryOp::kSub},
      {"~", BinaryOp::kConcat}, {"*", BinaryOp::kMul}, {"/", BinaryOp::kDiv}, {"//", BinaryOp::kFloorDiv},
      {"%", BinaryOp::kMod}, {"**", BinaryOp::kPow}, {"and", BinaryOp::kAnd}, {"or", BinaryOp::kOr},
  };
  for (const auto& [text, op] : kOps) {
    if (s == text) return op;
  }
  throw JinjaError("unknown operator '" + s + "'");
}

// Number(text) for a numeric literal token ("12", "-3", "+1.5").
double literal_value(const std::string& text) {
  std::string_view s = text;
  const bool negative = !s.empty() && s[0] == '-';
  if (!s.empty() && (s[0] == '-' || s[0] == '+')) s.remove_prefix(1);
  double v = 0;
  if (std::from_chars(s.data(), s.data() + s.size(), v).ec == std::errc::result_out_of_range) {
    v = std::numeric_limits<double>::infinity();
  }
  return negative ? -v : v;
}

std::string describe(const Token& t) {
  switch (t.type) {
    case TokenType::kEnd: return "end of template";
    case TokenType::kText: return "text";
    case TokenType::kComment: return "comment";
    case TokenType::kStringLiteral: return "string literal";
    default: return "'" + t.value + "'";
  }
}

enum class ArgsMode { kCall, kParameters };

class Parser {
 public:
  explicit Parser(std::vector<Token> tokens) : tokens_(std::move(tokens)) {}

  Program run() {
    Program program;
    while (!is(TokenType::kEnd)) program.body.push_back(parse_any());
    return program;
  }

 private:
  // Counts recursion through the grammar; the template's nesting, not its length, drives it.
  class DepthGuard {
   public:
    explicit DepthGuard(Parser& p) : p_(p) {
      if (++p_.depth_ > kMaxParseDepth) p_.fail("template nests too deeply", p_.peek());
    }
    ~DepthGuard() { --p_.depth_; }

   private:
    Parser& p_;
  };

  // A left-associative chain (a + b + c, x.y.z, v | f | g) nests one node deeper per link
  // although it is parsed in a loop; each link counts as depth until the chain is done, so the
  // tree stays shallow enough to evaluate and destroy recursively.
  class ChainGuard {
   public:
    explicit ChainGuard(Parser& p) : p_(p) {}
    ~ChainGuard() { p_.depth_ -= links_; }
    void link() {
      ++links_;
      if (++p_.depth_ > kMaxParseDepth) p_.fail("template nests too deeply", p_.peek());
    }

   private:
    Parser& p_;
    int links_ = 0;
  };

  const Token& peek(size_t ahead = 0) const { return tokens_[std::min(cur_ + ahead, tokens_.size() - 1)]; }
  const Token& next() {
    const Token& t = tokens_[cur_];
    if (t.type != TokenType::kEnd) ++cur_;
    return t;
  }
  bool is(TokenType t) const { return peek().type == t; }
  bool is_identifier(const char* name, size_t ahead = 0) const {
    return peek(ahead).type == TokenType::kIdentifier && peek(ahead).value == name;
  }
  bool is_statement(std::initializer_list<const char*> names) const {
    if (peek().type != TokenType::kOpenStatement || peek(1).type != TokenType::kIdentifier) return false;
    for (const char* n : names) {
      if (peek(1).value == n) return true;
    }
    return false;
  }
  [[noreturn]] void fail(const std::string& message, const Token& at) const { throw JinjaError(message, at.offset); }
  const Token& expect(TokenType type, const char* what) {
    if (!is(type)) fail(std::string("expected ") + what + ", got " + describe(peek()), peek());
    return next();
  }
  void expect_end_tag(const char* name) {
    expect(TokenType::kOpenStatement, "'{%'");
    if (!is_identifier(name)) fail(std::string("expected '") + name + "', got " + describe(peek()), peek());
    next();
    expect(TokenType::kCloseStatement, "'%}'");
  }
  // Parses statements until one of `names` opens (the end tag is left for the caller).
  NodeList parse_until(std::initializer_list<const char*> names) {
    NodeList body;
    while (!is_statement(names)) body.push_back(parse_any());
    return body;
  }

  NodePtr parse_any();
  NodePtr parse_statement();
  NodePtr parse_set(size_t off);
  NodePtr parse_if(size_t off);
  NodePtr parse_macro(size_t off);
  NodePtr parse_for(size_t off);
  NodePtr parse_call_statement(size_t off);
  NodePtr parse_filter_statement(size_t off);
  NodePtr parse_expression_sequence(bool primary = false);
  NodePtr parse_expression() { return parse_if_expression(); }
  NodePtr parse_if_expression();
  NodePtr parse_logical_or();
  NodePtr parse_logical_and();
  NodePtr parse_logical_not();
  NodePtr parse_comparison();
  NodePtr parse_additive();
  NodePtr parse_multiplicative();
  NodePtr parse_power();
  NodePtr parse_test();
  NodePtr parse_filter();
  NodePtr parse_unary_sign();
  NodePtr parse_call_member();
  NodePtr parse_call_expression(NodePtr callee);
  NodeList parse_args(ArgsMode mode);
  NodeList parse_arguments_list(ArgsMode mode);
  NodePtr parse_member_arguments();
  NodePtr parse_member_expression(NodePtr object);
  NodePtr parse_primary();

  std::vector<Token> tokens_;
  size_t cur_ = 0;
  int depth_ = 0;
};

NodePtr Parser::parse_any() {
  DepthGuard guard(*this);
  const Token& t = peek();
  switch (t.type) {
    case TokenType::kComment: next(); return std::make_unique<Node>(NodeKind::kComment, t.offset);
    case TokenType::kText: next(); return std::make_unique<StringLiteral>(t.offset, t.value);
    case TokenType::kOpenStatement: return parse_statement();
    case TokenType::kOpenExpression: {
      next();
      NodePtr result = parse_expression();
      expect(TokenType::kCloseExpression, "'}}'");
      return result;
    }
    default: fail("unexpected " + describe(t), t);
  }
}

NodePtr Parser::parse_statement() {
  expect(TokenType::kOpenStatement, "'{%'");
  const Token& name_token = peek();
  if (name_token.type != TokenType::kIdentifier) fail("expected a statement name, got " + describe(name_token), name_token);
  const std::string name = name_token.value;
  const size_t off = name_token.offset;
  next();
  if (name == "set") return parse_set(off);
  if (name == "if") {
    NodePtr result = parse_if(off);
    expect_end_tag("endif");
    return result;
  }
  if (name == "macro") {
    NodePtr result = parse_macro(off);
    expect_end_tag("endmacro");
    return result;
  }
  if (name == "for") {
    NodePtr result = parse_for(off);
    expect_end_tag("endfor");
    return result;
  }
  if (name == "call") return parse_call_statement(off);
  if (name == "filter") return parse_filter_statement(off);
  if (name == "break" || name == "continue") {
    expect(TokenType::kCloseStatement, "'%}'");
    return std::make_unique<Node>(name == "break" ? NodeKind::kBreak : NodeKind::kContinue, off);
  }
  if (name.rfind("end", 0) == 0 || name == "elif" || name == "else") fail("unexpected '" + name + "'", name_token);
  fail("unknown statement '" + name + "'", name_token);
}

NodePtr Parser::parse_set(size_t off) {
  auto node = std::make_unique<Set>(off);
  node->assignee = parse_expression_sequence();
  if (is(TokenType::kEquals)) {
    next();
    node->value = parse_expression_sequence();
  } else {
    expect(TokenType::kCloseStatement, "'%}'");
    node->body = parse_until({"endset"});
    expect(TokenType::kOpenStatement, "'{%'");
    next();  // endset
  }
  expect(TokenType::kCloseStatement, "'%}'");
  return node;
}

NodePtr Parser::parse_if(size_t off) {
  DepthGuard guard(*this);
  auto node = std::make_unique<If>(off);
  node->test = parse_expression();
  expect(TokenType::kCloseStatement, "'%}'");
  node->body = parse_until({"elif", "else", "endif"});
  if (is_statement({"elif"})) {
    const size_t elif_off = peek(1).offset;
    cur_ += 2;
    node->alternate.push_back(parse_if(elif_off));
  } else if (is_statement({"else"})) {
    cur_ += 2;
    expect(TokenType::kCloseStatement, "'%}'");
    node->alternate = parse_until({"endif"});
  }
  return node;
}

NodePtr Parser::parse_macro(size_t off) {
  auto node = std::make_unique<Macro>(off);
  const Token& name_token = peek();
  NodePtr name = parse_primary();
  if (name->kind != NodeKind::kIdentifier) fail("expected a macro name", name_token);
  node->name = as<Identifier>(*name).name;
  node->args = parse_args(ArgsMode::kParameters);
  expect(TokenType::kCloseStatement, "'%}'");
  node->body = parse_until({"endmacro"});
  const SpecialArgs special = find_special_args(node->args, node->body);
  node->uses_varargs = special.varargs;
  node->uses_kwargs = special.kwargs;
  return node;
}

NodePtr Parser::parse_for(size_t off) {
  auto node = std::make_unique<For>(off);
  const Token& var_token = peek();
  node->loopvar = parse_expression_sequence(true);
  if (node->loopvar->kind != NodeKind::kIdentifier && node->loopvar->kind != NodeKind::kTupleLiteral) {
    fail("expected a loop variable", var_token);
  }
  if (!is_identifier("in")) fail("expected 'in' after the loop variable, got " + describe(peek()), peek());
  next();
  node->iterable = parse_expression();
  expect(TokenType::kCloseStatement, "'%}'");
  node->body = parse_until({"endfor", "else"});
  if (is_statement({"else"})) {
    cur_ += 2;
    expect(TokenType::kCloseStatement, "'%}'");
    node->default_block = parse_until({"endfor"});
  }
  return node;
}

NodePtr Parser::parse_call_statement(size_t off) {
  auto node = std::make_unique<CallStatement>(off);
  if (is(TokenType::kOpenParen)) node->caller_args = parse_args(ArgsMode::kParameters);
  const Token& callee_token = peek();
  NodePtr callee = parse_primary();
  if (callee->kind != NodeKind::kIdentifier) fail("expected a macro name after 'call'", callee_token);
  node->call = std::make_unique<Call>(callee_token.offset);
  node->call->callee = std::move(callee);
  node->call->args = parse_args(ArgsMode::kCall);
  expect(TokenType::kCloseStatement, "'%}'");
  node->body = parse_until({"endcall"});
  expect_end_tag("endcall");
  const SpecialArgs special = find_special_args(node->caller_args, node->body);
  node->uses_varargs = special.varargs;
  node->uses_kwargs = special.kwargs;
  return node;
}

NodePtr Parser::parse_filter_statement(size_t off) {
  auto node = std::make_unique<FilterStatement>(off);
  node->filter = parse_primary();
  if (node->filter->kind == NodeKind::kIdentifier && is(TokenType::kOpenParen)) {
    node->filter = parse_call_expression(std::move(node->filter));
  }
  expect(TokenType::kCloseStatement, "'%}'");
  node->body = parse_until({"endfilter"});
  expect_end_tag("endfilter");
  return node;
}

NodePtr Parser::parse_expression_sequence(bool primary) {
  const size_t off = peek().offset;
  NodePtr first = primary ? parse_primary() : parse_expression();
  if (!is(TokenType::kComma)) return first;
  auto tuple = std::make_unique<ListLiteral>(NodeKind::kTupleLiteral, off);
  tuple->items.push_back(std::move(first));
  while (true) {
    next();  // the comma
    tuple->items.push_back(primary ? parse_primary() : parse_expression());
    if (!is(TokenType::kComma)) break;
  }
  return tuple;
}

NodePtr Parser::parse_if_expression() {
  DepthGuard guard(*this);
  NodePtr a = parse_logical_or();
  if (!is_identifier("if")) return a;
  const size_t off = next().offset;
  NodePtr test = parse_logical_or();
  if (is_identifier("else")) {
    next();
    auto node = std::make_unique<Ternary>(off);
    node->condition = std::move(test);
    node->true_expr = std::move(a);
    node->false_expr = parse_if_expression();
    return node;
  }
  return std::make_unique<Select>(off, std::move(a), std::move(test));
}

NodePtr Parser::parse_logical_or() {
  NodePtr left = parse_logical_and();
  ChainGuard chain(*this);
  while (is_identifier("or")) {
    chain.link();
    const size_t off = next().offset;
    left = std::make_unique<Binary>(off, BinaryOp::kOr, std::move(left), parse_logical_and());
  }
  return left;
}

NodePtr Parser::parse_logical_and() {
  NodePtr left = parse_logical_not();
  ChainGuard chain(*this);
  while (is_identifier("and")) {
    chain.link();
    const size_t off = next().offset;
    left = std::make_unique<Binary>(off, BinaryOp::kAnd, std::move(left), parse_logical_not());
  }
  return left;
}

NodePtr Parser::parse_logical_not() {
  DepthGuard guard(*this);
  NodePtr right;
  while (is_identifier("not")) {  // a second `not` after the operand replaces the first: as the reference
    const size_t off = next().offset;
    right = std::make_unique<Unary>(off, "not", parse_logical_not());
  }
  return right ? std::move(right) : parse_comparison();
}

NodePtr Parser::parse_comparison() {
  NodePtr left = parse_additive();
  ChainGuard chain(*this);
  while (true) {
    BinaryOp op;
    const size_t off = peek().offset;
    if (is_identifier("not") && is_identifier("in", 1)) {
      op = BinaryOp::kNotIn;
      cur_ += 2;
    } else if (is_identifier("in")) {
      op = BinaryOp::kIn;
      next();
    } else if (is(TokenType::kComparisonOperator)) {
      op = binary_op_from(next().value);
    } else {
      break;
    }
    chain.link();
    left = std::make_unique<Binary>(off, op, std::move(left), parse_additive());
  }
  return left;
}

NodePtr Parser::parse_additive() {
  NodePtr left = parse_multiplicative();
  ChainGuard chain(*this);
  while (is(TokenType::kAdditiveOperator)) {
    chain.link();
    const Token& op = next();
    left = std::make_unique<Binary>(op.offset, binary_op_from(op.value), std::move(left), parse_multiplicative());
  }
  return left;
}

NodePtr Parser::parse_multiplicative() {
  NodePtr left = parse_power();
  ChainGuard chain(*this);
  while (is(TokenType::kMultiplicativeOperator)) {
    chain.link();
    const Token& op = next();
    left = std::make_unique<Binary>(op.offset, binary_op_from(op.value), std::move(left), parse_power());
  }
  return left;
}

NodePtr Parser::parse_power() {
  NodePtr left = parse_test();
  ChainGuard chain(*this);
  while (is(TokenType::kExponentiationOperator)) {
    chain.link();
    const Token& op = next();
    left = std::make_unique<Binary>(op.offset, BinaryOp::kPow, std::move(left), parse_test());
  }
  return left;
}

NodePtr Parser::parse_test() {
  NodePtr operand = parse_filter();
  ChainGuard chain(*this);
  while (is_identifier("is")) {
    chain.link();
    auto node = std::make_unique<Test>(next().offset);
    node->negate = is_identifier("not");
    if (node->negate) next();
    const Token& name_token = peek();
    NodePtr test = parse_primary();
    if (test->kind != NodeKind::kIdentifier) fail("expected the name of a test after 'is'", name_token);
    node->test = as<Identifier>(*test).name;
    node->operand = std::move(operand);
    operand = std::move(node);
  }
  return operand;
}

NodePtr Parser::parse_filter() {
  NodePtr operand = parse_unary_sign();
  ChainGuard chain(*this);
  while (is(TokenType::kPipe)) {
    chain.link();
    next();
    const Token& name_token = peek();
    NodePtr filter = parse_primary();
    if (filter->kind != NodeKind::kIdentifier) fail("expected the name of a filter after '|'", name_token);
    if (is(TokenType::kOpenParen)) filter = parse_call_expression(std::move(filter));
    operand = std::make_unique<Filter>(name_token.offset, std::move(operand), std::move(filter));
  }
  return operand;
}

NodePtr Parser::parse_unary_sign() {
  DepthGuard guard(*this);
  const Token& t = peek();
  if ((t.type == TokenType::kUnaryOperator || t.type == TokenType::kAdditiveOperator) && (t.value == "-" || t.value == "+")) {
    next();
    return std::make_unique<Unary>(t.offset, t.value, parse_unary_sign());
  }
  return parse_call_member();
}

NodePtr Parser::parse_call_member() {
  NodePtr member = parse_member_expression(parse_primary());
  if (is(TokenType::kOpenParen)) return parse_call_expression(std::move(member));
  return member;
}

NodePtr Parser::parse_call_expression(NodePtr callee) {
  DepthGuard guard(*this);
  auto call = std::make_unique<Call>(callee->offset);
  call->callee = std::move(callee);
  call->args = parse_args(ArgsMode::kCall);
  NodePtr expression = parse_member_expression(std::move(call));
  if (is(TokenType::kOpenParen)) expression = parse_call_expression(std::move(expression));
  return expression;
}

NodeList Parser::parse_args(ArgsMode mode) {
  expect(TokenType::kOpenParen, "'('");
  NodeList args = parse_arguments_list(mode);
  expect(TokenType::kCloseParen, "')'");
  return args;
}

NodeList Parser::parse_arguments_list(ArgsMode mode) {
  NodeList args;
  std::set<std::string> parameter_names;
  bool saw_keyword = false, saw_spread = false;
  while (!is(TokenType::kCloseParen)) {
    const Token& start = peek();
    const bool keyword_spread = is(TokenType::kExponentiationOperator);
    const bool positional_spread = is(TokenType::kMultiplicativeOperator) && start.value == "*";
    if (mode == ArgsMode::kParameters && (keyword_spread || positional_spread)) {
      fail("argument unpacking is not allowed in parameter declarations", start);
    }
    if (keyword_spread) {
      next();
      args.push_back(std::make_unique<Spread>(NodeKind::kKeywordSpread, start.offset, parse_expression()));
      if (is(TokenType::kComma)) next();
      if (!is(TokenType::kCloseParen)) fail("`**` must be applied to the final argument", peek());
      break;
    }
    NodePtr argument;
    if (positional_spread) {
      if (saw_spread) fail("only one `*` argument unpacking is allowed", start);
      saw_spread = true;
      next();
      argument = std::make_unique<Spread>(NodeKind::kSpread, start.offset, parse_expression());
    } else {
      argument = parse_expression();
      if (is(TokenType::kEquals)) {
        next();
        if (argument->kind != NodeKind::kIdentifier) {
          fail(mode == ArgsMode::kParameters ? "expected an identifier for a parameter" : "expected an identifier for a keyword argument", start);
        }
        argument = std::make_unique<KeywordArgument>(start.offset, as<Identifier>(*argument).name, parse_expression());
      }
      if (mode == ArgsMode::kParameters) {
        if (argument->kind != NodeKind::kIdentifier && argument->kind != NodeKind::kKeywordArgument) {
          fail("expected an identifier for a parameter", start);
        }
        const std::string& name = argument->kind == NodeKind::kIdentifier ? as<Identifier>(*argument).name
                                                                           : as<KeywordArgument>(*argument).key;
        if (!parameter_names.insert(name).second) fail("duplicate parameter name '" + name + "'", start);
      }
      if (argument->kind == NodeKind::kKeywordArgument) {
        saw_keyword = true;
      } else if (saw_keyword) {
        fail(mode == ArgsMode::kCall ? "positional argument after a keyword argument" : "parameter without a default after one with a default", start);
      } else if (saw_spread) {
        fail("positional argument after `*` argument unpacking", start);
      }
    }
    args.push_back(std::move(argument));
    if (is(TokenType::kComma)) next();
  }
  return args;
}

NodePtr Parser::parse_member_arguments() {
  const size_t off = peek().offset;
  NodeList slices;  // null entries: an omitted bound
  bool is_slice = false;
  while (!is(TokenType::kCloseSquareBracket)) {
    if (is(TokenType::kColon)) {
      slices.push_back(nullptr);
      next();
      is_slice = true;
    } else {
      slices.push_back(parse_expression());
      if (is(TokenType::kColon)) {
        next();
        is_slice = true;
      }
    }
  }
  if (slices.empty()) fail("expected an index or a slice inside '[]'", peek());
  if (!is_slice) return std::move(slices[0]);
  if (slices.size() > 3) fail("a slice takes at most three parts", peek());
  auto slice = std::make_unique<Slice>(off);
  slice->start = std::move(slices[0]);
  if (slices.size() > 1) slice->stop = std::move(slices[1]);
  if (slices.size() > 2) slice->step = std::move(slices[2]);
  return slice;
}

NodePtr Parser::parse_member_expression(NodePtr object) {
  ChainGuard chain(*this);
  while (is(TokenType::kDot) || is(TokenType::kOpenSquareBracket)) {
    chain.link();
    const Token& op = next();
    auto member = std::make_unique<Member>(op.offset);
    member->computed = op.type == TokenType::kOpenSquareBracket;
    if (member->computed) {
      member->property = parse_member_arguments();
      expect(TokenType::kCloseSquareBracket, "']'");
    } else {
      const Token& name_token = peek();
      member->property = parse_primary();
      if (member->property->kind != NodeKind::kIdentifier && member->property->kind != NodeKind::kIntegerLiteral) {
        fail("expected a name or an integer after '.'", name_token);
      }
    }
    member->object = std::move(object);
    object = std::move(member);
  }
  return object;
}

NodePtr Parser::parse_primary() {
  const Token& t = next();
  switch (t.type) {
    case TokenType::kNumericLiteral: {
      const bool is_float = t.value.find('.') != std::string::npos;
      return std::make_unique<NumberLiteral>(is_float ? NodeKind::kFloatLiteral : NodeKind::kIntegerLiteral, t.offset,
                                             literal_value(t.value));
    }
    case TokenType::kStringLiteral: {
      std::string value = t.value;
      while (is(TokenType::kStringLiteral)) value += next().value;
      return std::make_unique<StringLiteral>(t.offset, std::move(value));
    }
    case TokenType::kIdentifier: return std::make_unique<Identifier>(t.offset, t.value);
    case TokenType::kOpenParen: {
      NodePtr expression = parse_expression_sequence();
      expect(TokenType::kCloseParen, "')'");
      return expression;
    }
    case TokenType::kOpenSquareBracket: {
      auto list = std::make_unique<ListLiteral>(NodeKind::kArrayLiteral, t.offset);
      while (!is(TokenType::kCloseSquareBracket)) {
        list->items.push_back(parse_expression());
        if (is(TokenType::kComma)) next();
      }
      next();
      return list;
    }
    case TokenType::kOpenCurlyBracket: {
      auto object = std::make_unique<ObjectLiteral>(t.offset);
      while (!is(TokenType::kCloseCurlyBracket)) {
        NodePtr key = parse_expression();
        expect(TokenType::kColon, "':' between key and value");
        NodePtr value = parse_expression();
        object->entries.emplace_back(std::move(key), std::move(value));
        if (is(TokenType::kComma)) next();
      }
      next();
      return object;
    }
    default: fail("unexpected " + describe(t), t);
  }
}

}  // namespace

Program parse_template(std::string_view source) { return Parser(tokenize(source)).run(); }

}  // namespace turbine::jinja
