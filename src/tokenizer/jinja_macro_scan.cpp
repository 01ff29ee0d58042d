#include "tokenizer/jinja_macro_scan.h"

#include <set>
#include <string>

namespace turbine::jinja {

namespace {

// Walks the body in order, as the reference does: a name counts as read unless something
// assigned it earlier in the walk (a parameter, a set, a loop variable).
class SpecialArgScan {
 public:
  void declare_param(const Node& param) {
    declare(param.kind == NodeKind::kIdentifier ? as<Identifier>(param).name : as<KeywordArgument>(param).key);
  }
  void visit_defaults(const NodeList& params) {
    for (const auto& p : params) {
      if (p->kind == NodeKind::kKeywordArgument) visit(as<KeywordArgument>(*p).value.get());
    }
  }
  void visit_list(const NodeList& nodes) {
    for (const auto& n : nodes) visit(n.get());
  }
  void visit(const Node* n);
  bool accessed(const std::string& name) const { return accessed_.count(name) > 0; }

 private:
  static bool special(const std::string& name) { return name == "kwargs" || name == "varargs"; }
  void declare(const std::string& name) {
    if (special(name)) declared_.insert(name);
  }
  void declare_target(const Node& target) {
    if (target.kind == NodeKind::kIdentifier) declare(as<Identifier>(target).name);
    if (target.kind == NodeKind::kTupleLiteral) {
      for (const auto& item : as<ListLiteral>(target).items) declare_target(*item);
    }
  }
  void visit_filter(const Node& filter) {
    if (filter.kind == NodeKind::kCall) visit_list(as<Call>(filter).args);
  }

  std::set<std::string> declared_, accessed_;
};

void SpecialArgScan::visit(const Node* n) {
  if (n == nullptr) return;
  switch (n->kind) {
    case NodeKind::kFor: {
      const auto& f = as<For>(*n);
      declare_target(*f.loopvar);
      if (f.iterable->kind == NodeKind::kSelect) {
        visit(as<Select>(*f.iterable).lhs.get());
        visit_list(f.body);
        visit_list(f.default_block);
        visit(as<Select>(*f.iterable).test.get());
      } else {
        visit(f.iterable.get());
        visit_list(f.body);
        visit_list(f.default_block);
      }
      return;
    }
    case NodeKind::kSet: {
      const auto& s = as<Set>(*n);
      declare_target(*s.assignee);
      visit(s.value.get());
      visit_list(s.body);
      return;
    }
    case NodeKind::kMacro: {
      const auto& m = as<Macro>(*n);
      for (const auto& a : m.args) declare_param(*a);
      visit_defaults(m.args);
      visit_list(m.body);
      return;
    }
    case NodeKind::kCallStatement: {
      const auto& c = as<CallStatement>(*n);
      visit(c.call.get());
      for (const auto& a : c.caller_args) declare_param(*a);
      visit_defaults(c.caller_args);
      visit_list(c.body);
      return;
    }
    case NodeKind::kFilterStatement:
      visit_list(as<FilterStatement>(*n).body);
      visit_filter(*as<FilterStatement>(*n).filter);
      return;
    case NodeKind::kIdentifier: {
      const std::string& name = as<Identifier>(*n).name;
      if (special(name) && !declared_.count(name)) accessed_.insert(name);
      return;
    }
    case NodeKind::kMember:
      visit(as<Member>(*n).object.get());
      if (as<Member>(*n).computed) visit(as<Member>(*n).property.get());
      return;
    case NodeKind::kFilter:
      visit(as<Filter>(*n).operand.get());
      visit_filter(*as<Filter>(*n).filter);
      return;
    case NodeKind::kTest: visit(as<Test>(*n).operand.get()); return;
    case NodeKind::kSelect:
      visit(as<Select>(*n).test.get());
      visit(as<Select>(*n).lhs.get());
      return;
    case NodeKind::kKeywordArgument: visit(as<KeywordArgument>(*n).value.get()); return;
    case NodeKind::kIf:
      visit(as<If>(*n).test.get());
      visit_list(as<If>(*n).body);
      visit_list(as<If>(*n).alternate);
      return;
    case NodeKind::kArrayLiteral:
    case NodeKind::kTupleLiteral: visit_list(as<ListLiteral>(*n).items); return;
    case NodeKind::kObjectLiteral:
      for (const auto& [k, v] : as<ObjectLiteral>(*n).entries) {
        visit(k.get());
        visit(v.get());
      }
      return;
    case NodeKind::kCall:
      visit(as<Call>(*n).callee.get());
      visit_list(as<Call>(*n).args);
      return;
    case NodeKind::kUnary: visit(as<Unary>(*n).arg.get()); return;
    case NodeKind::kBinary:
      visit(as<Binary>(*n).left.get());
      visit(as<Binary>(*n).right.get());
      return;
    case NodeKind::kTernary:
      visit(as<Ternary>(*n).condition.get());
      visit(as<Ternary>(*n).true_expr.get());
      visit(as<Ternary>(*n).false_expr.get());
      return;
    case NodeKind::kSlice:
      visit(as<Slice>(*n).start.get());
      visit(as<Slice>(*n).stop.get());
      visit(as<Slice>(*n).step.get());
      return;
    case NodeKind::kSpread:
    case NodeKind::kKeywordSpread: visit(as<Spread>(*n).arg.get()); return;
    default: return;  // literals, comments, break, continue
  }
}

}  // namespace

SpecialArgs find_special_args(const NodeList& params, const NodeList& body) {
  SpecialArgScan scan;
  for (const auto& p : params) scan.declare_param(*p);
  scan.visit_list(body);
  return {scan.accessed("varargs"), scan.accessed("kwargs")};
}

}  // namespace turbine::jinja
