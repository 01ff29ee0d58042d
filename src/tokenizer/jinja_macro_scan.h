// Which of the special names `varargs` and `kwargs` a macro (or {% call %} block) body reads, so
// the call can refuse extra arguments when it does not: findAccessedSpecialMacroArguments() of
// @huggingface/jinja. Run once at parse time. Pure function; any thread.
#pragma once

#include "tokenizer/jinja_ast.h"

namespace turbine::jinja {

struct SpecialArgs {
  bool varargs = false;
  bool kwargs = false;
};

// `params`: the macro's parameters (a parameter named like a special name hides it).
SpecialArgs find_special_args(const NodeList& params, const NodeList& body);

}  // namespace turbine::jinja
