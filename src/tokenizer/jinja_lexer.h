// Chat-template source -> tokens, as @huggingface/jinja's lexer makes them: the template is
// first preprocessed the way its Template class does (one trailing newline dropped,
// lstrip_blocks and trim_blocks on, {% generation %} tags removed), then tokenized with
// `{%-`/`-%}` whitespace control applied. Pure functions; any thread.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace turbine::jinja {

enum class TokenType : uint8_t {
  kText, kNumericLiteral, kStringLiteral, kIdentifier, kEquals, kOpenParen, kCloseParen,
  kOpenStatement, kCloseStatement, kOpenExpression, kCloseExpression, kOpenSquareBracket,
  kCloseSquareBracket, kOpenCurlyBracket, kCloseCurlyBracket, kComma, kDot, kColon, kPipe,
  kAdditiveOperator, kMultiplicativeOperator, kExponentiationOperator, kComparisonOperator,
  kUnaryOperator, kComment,
  kEnd,  // after the last token: lets the parser look ahead without bounds checks
};

struct Token {
  TokenType type;
  std::string value;  // text, literal (escapes decoded), identifier or operator spelling
  size_t offset;      // byte offset in the original source
};

// Throws JinjaError (with the offset in `source`) on a malformed template. The result always
// ends with a kEnd token.
std::vector<Token> tokenize(std::string_view source);

}  // namespace turbine::jinja
