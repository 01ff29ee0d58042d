// Tokens -> syntax tree by the grammar of @huggingface/jinja's parser (same precedence, same
// quirks: `a if b` without else, filters binding tighter than unary minus, adjacent string
// literals joining). Pure function; any thread.
#pragma once

#include <string_view>

#include "tokenizer/jinja_ast.h"

namespace turbine::jinja {

// Throws JinjaError with the offset of the offending token. Nesting deeper than kMaxParseDepth
// (brackets, blocks, unary chains) is refused rather than recursed into.
Program parse_template(std::string_view source);

inline constexpr int kMaxParseDepth = 200;

}  // namespace turbine::jinja
