#include "tokenizer/jinja_lexer.h"

#include <array>
#include <cstdint>
#include <utility>

#include "tokenizer/jinja_js.h"
#include "tokenizer/jinja_value.h"
#include "tokenizer/utf8.h"

namespace turbine::jinja {

namespace {

// Preprocessed text with, for each byte, the source offset it came from (plus one entry for
// the end), so errors point into the template as written.
struct MappedText {
  std::string text;
  std::vector<size_t> origin;

  void push(char c, size_t from) {
    text += c;
    origin.push_back(from);
  }
  void push_range(const MappedText& src, size_t begin, size_t end) {
    text.append(src.text, begin, end - begin);
    origin.insert(origin.end(), src.origin.begin() + static_cast<std::ptrdiff_t>(begin),
                  src.origin.begin() + static_cast<std::ptrdiff_t>(end));
  }
  void finish(size_t end_origin) { origin.push_back(end_origin); }
};

// Length of the line terminator (\n, \r, U+2028, U+2029) at `pos`, 0 when there is none.
size_t line_terminator_length(std::string_view s, size_t pos) {
  if (s[pos] == '\n' || s[pos] == '\r') return 1;
  if (s.substr(pos, 3) == "\xE2\x80\xA8" || s.substr(pos, 3) == "\xE2\x80\xA9") return 3;
  return 0;
}

// template.replace(/^[ \t]*({[#%-])/gm, "$1")
MappedText lstrip_blocks(const MappedText& in) {
  MappedText out;
  const std::string& s = in.text;
  bool line_start = true;
  for (size_t i = 0; i < s.size();) {
    if (line_start) {
      size_t j = i;
      while (j < s.size() && (s[j] == ' ' || s[j] == '\t')) ++j;
      if (j + 1 < s.size() && s[j] == '{' && (s[j + 1] == '#' || s[j + 1] == '%' || s[j + 1] == '-')) i = j;
      line_start = false;
      continue;
    }
    const size_t term = line_terminator_length(s, i);
    const size_t n = term ? term : 1;
    out.push_range(in, i, i + n);
    i += n;
    line_start = term != 0;
  }
  out.finish(in.origin.back());
  return out;
}

// template.replace(/([#%-]})\n/g, "$1")
MappedText trim_blocks(const MappedText& in) {
  MappedText out;
  const std::string& s = in.text;
  for (size_t i = 0; i < s.size(); ++i) {
    out.push(s[i], in.origin[i]);
    if ((s[i] == '#' || s[i] == '%' || s[i] == '-') && i + 2 < s.size() && s[i + 1] == '}' && s[i + 2] == '\n') {
      out.push('}', in.origin[i + 1]);
      i += 2;  // drop the newline
    }
  }
  out.finish(in.origin.back());
  return out;
}

// Length of `{%-? \s* (end)?generation \s* -?%}` at `pos` (0: no such tag); *lstrip/*rstrip
// report the dashes.
size_t generation_tag_length(std::string_view s, size_t pos, bool* lstrip, bool* rstrip) {
  if (s.substr(pos, 2) != "{%") return 0;
  size_t i = pos + 2;
  *lstrip = i < s.size() && s[i] == '-';
  if (*lstrip) ++i;
  while (size_t n = js::space_length_at(s, i)) i += n;
  if (s.substr(i, 3) == "end") i += 3;
  if (s.substr(i, 10) != "generation") return 0;
  i += 10;
  while (size_t n = js::space_length_at(s, i)) i += n;
  *rstrip = i < s.size() && s[i] == '-';
  if (*rstrip) ++i;
  if (s.substr(i, 2) != "%}") return 0;
  return i + 2 - pos;
}

// template.replace(/(\s*){%(-?)\s*(?:end)?generation\s*(-?)%}(\s*)/gs, ...): the tags go, and so
// does the whitespace around them on a side whose dash asks for it.
MappedText strip_generation_tags(const MappedText& in) {
  const std::string& s = in.text;
  if (s.find("generation") == std::string::npos) return in;
  MappedText out;
  size_t copied = 0;  // s[0, copied) is settled; a match cannot start before it
  for (size_t pos = s.find("{%"); pos != std::string::npos; pos = s.find("{%", pos + 1)) {
    bool lstrip = false, rstrip = false;
    const size_t tag = generation_tag_length(s, pos, &lstrip, &rstrip);
    if (tag == 0) continue;
    size_t before = pos;  // whitespace run right before the tag, not reaching back past `copied`
    size_t n = 0;
    while (before > copied && js::ends_with_space(std::string_view(s).substr(copied, before - copied), &n)) before -= n;
    size_t after = pos + tag;
    while (size_t m = js::space_length_at(s, after)) after += m;
    out.push_range(in, copied, lstrip ? before : pos);
    if (!rstrip) out.push_range(in, pos + tag, after);
    copied = after;
    pos = after - 1;
  }
  out.push_range(in, copied, s.size());
  out.finish(in.origin.back());
  return out;
}

MappedText preprocess(std::string_view source) {
  MappedText m;
  std::string_view body = source;
  if (!body.empty() && body.back() == '\n') body.remove_suffix(1);
  m.text = std::string(body);
  m.origin.resize(body.size() + 1);
  for (size_t i = 0; i <= body.size(); ++i) m.origin[i] = i;
  return strip_generation_tags(trim_blocks(lstrip_blocks(m)));
}

bool is_ascii_word(int c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}
bool is_ascii_digit(int c) { return c >= '0' && c <= '9'; }

struct MappingEntry {
  std::string_view seq;
  TokenType type;
};

// Order matters: longer spellings before their prefixes ("**" before "*", "//" before "/").
constexpr std::array<MappingEntry, 29> kMappingTable = {{
    {"{%", TokenType::kOpenStatement}, {"%}", TokenType::kCloseStatement},
    {"{{", TokenType::kOpenExpression}, {"}}", TokenType::kCloseExpression},
    {"(", TokenType::kOpenParen}, {")", TokenType::kCloseParen},
    {"{", TokenType::kOpenCurlyBracket}, {"}", TokenType::kCloseCurlyBracket},
    {"[", TokenType::kOpenSquareBracket}, {"]", TokenType::kCloseSquareBracket},
    {",", TokenType::kComma}, {".", TokenType::kDot}, {":", TokenType::kColon}, {"|", TokenType::kPipe},
    {"<=", TokenType::kComparisonOperator}, {">=", TokenType::kComparisonOperator},
    {"==", TokenType::kComparisonOperator}, {"!=", TokenType::kComparisonOperator},
    {"<", TokenType::kComparisonOperator}, {">", TokenType::kComparisonOperator},
    {"+", TokenType::kAdditiveOperator}, {"-", TokenType::kAdditiveOperator}, {"~", TokenType::kAdditiveOperator},
    {"**", TokenType::kExponentiationOperator}, {"*", TokenType::kMultiplicativeOperator},
    {"//", TokenType::kMultiplicativeOperator}, {"/", TokenType::kMultiplicativeOperator},
    {"%", TokenType::kMultiplicativeOperator}, {"=", TokenType::kEquals},
}};

class Lexer {
 public:
  explicit Lexer(MappedText src) : m_(std::move(src)), s_(m_.text) {}

  std::vector<Token> run();

 private:
  int at(size_t i) const { return i < s_.size() ? static_cast<unsigned char>(s_[i]) : -1; }
  bool starts(std::string_view seq) const { return std::string_view(s_).substr(pos_, seq.size()) == seq; }
  size_t origin(size_t i) const { return m_.origin[std::min(i, s_.size())]; }
  [[noreturn]] void fail(const std::string& message, size_t at_pos) const { throw JinjaError(message, origin(at_pos)); }
  void push(TokenType type, std::string value, size_t start) { tokens_.push_back({type, std::move(value), origin(start)}); }
  TokenType last_type() const { return tokens_.empty() ? TokenType::kEnd : tokens_.back().type; }

  // consumeWhile() of the reference: running into the end of the template is an error there.
  void advance_checked(size_t n) {
    pos_ += n;
    if (pos_ >= s_.size()) fail("unexpected end of template", pos_);
  }
  std::string consume_digits();
  std::string consume_string(char quote);
  void append_escape(std::string& out, uint32_t* pending_high);
  void strip_trailing_whitespace();
  void skip_leading_whitespace() {
    while (size_t n = js::space_length_at(s_, pos_)) pos_ += n;
  }
  bool lex_text();
  void lex_comment();
  void lex_sign(char sign);

  MappedText m_;
  const std::string& s_;
  size_t pos_ = 0;
  int curly_depth_ = 0;
  std::vector<Token> tokens_;
};

std::string Lexer::consume_digits() {
  std::string out;
  while (is_ascii_digit(at(pos_))) {
    out += s_[pos_];
    advance_checked(1);
  }
  return out;
}

void Lexer::append_escape(std::string& out, uint32_t* pending_high) {
  const size_t esc_pos = pos_;
  ++pos_;  // the backslash
  if (pos_ >= s_.size()) fail("unexpected end of template", pos_);
  const char e = s_[pos_++];
  uint32_t unit = 0;
  if (e == 'x' || e == 'u') {
    const size_t len = e == 'x' ? 2 : 4;
    const std::string_view hex = std::string_view(s_).substr(pos_, len);
    bool ok = hex.size() == len;
    for (char c : hex) ok &= (c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'f');
    if (!ok) fail("invalid hexadecimal escape sequence \\" + std::string(1, e) + std::string(hex), esc_pos);
    unit = static_cast<uint32_t>(std::stoul(std::string(hex), nullptr, 16));
    pos_ += len;
  } else {
    switch (e) {
      case 'n': unit = '\n'; break;
      case 't': unit = '\t'; break;
      case 'r': unit = '\r'; break;
      case 'b': unit = '\b'; break;
      case 'f': unit = '\f'; break;
      case 'v': unit = '\v'; break;
      case '\'': unit = '\''; break;
      case '"': unit = '"'; break;
      case '\\': unit = '\\'; break;
      default: fail("unexpected escaped character '" + std::string(1, e) + "'", esc_pos);
    }
  }
  // \u escapes are UTF-16 units: a high surrogate waits for its low half.
  if (*pending_high) {
    if (unit >= 0xDC00 && unit <= 0xDFFF) {
      utf8::append(out, 0x10000 + ((*pending_high - 0xD800) << 10) + (unit - 0xDC00));
      *pending_high = 0;
      return;
    }
    utf8::append(out, utf8::kReplacementChar);
    *pending_high = 0;
  }
  if (unit >= 0xD800 && unit <= 0xDBFF) {
    *pending_high = unit;
  } else if (unit >= 0xDC00 && unit <= 0xDFFF) {
    utf8::append(out, utf8::kReplacementChar);
  } else {
    utf8::append(out, unit);
  }
}

std::string Lexer::consume_string(char quote) {
  std::string out;
  uint32_t pending_high = 0;
  while (at(pos_) != quote) {
    if (pos_ >= s_.size()) fail("unterminated string literal", pos_);
    if (s_[pos_] == '\\') {
      append_escape(out, &pending_high);
      continue;
    }
    if (pending_high) {
      utf8::append(out, utf8::kReplacementChar);
      pending_high = 0;
    }
    out += s_[pos_];
    advance_checked(1);
  }
  if (pending_high) utf8::append(out, utf8::kReplacementChar);
  return out;
}

void Lexer::strip_trailing_whitespace() {
  if (tokens_.empty() || tokens_.back().type != TokenType::kText) return;
  std::string& text = tokens_.back().value;
  text.resize(js::trim_end(text).size());
  if (text.empty()) tokens_.pop_back();
}

// Text up to the next `{%`, `{{` or `{#`, only right after a tag or at the start.
bool Lexer::lex_text() {
  const TokenType last = last_type();
  if (!(tokens_.empty() || last == TokenType::kCloseStatement || last == TokenType::kCloseExpression ||
        last == TokenType::kComment)) {
    return false;
  }
  const size_t start = pos_;
  while (pos_ < s_.size() && !(s_[pos_] == '{' && (at(pos_ + 1) == '%' || at(pos_ + 1) == '{' || at(pos_ + 1) == '#'))) {
    ++pos_;
  }
  if (pos_ == start) return false;
  push(TokenType::kText, s_.substr(start, pos_ - start), start);
  return true;
}

void Lexer::lex_comment() {
  const size_t start = pos_;
  pos_ += 2;
  const bool strip_before = at(pos_) == '-';
  if (strip_before) ++pos_;
  std::string comment;
  while (at(pos_) != '#' || at(pos_ + 1) != '}') {
    if (pos_ + 2 >= s_.size()) fail("missing end of comment tag '#}'", start);
    comment += s_[pos_++];
  }
  const bool strip_after = !comment.empty() && comment.back() == '-';
  if (strip_after) comment.pop_back();
  if (strip_before) strip_trailing_whitespace();
  push(TokenType::kComment, std::move(comment), start);
  pos_ += 2;
  if (strip_after) skip_leading_whitespace();
}

// A '-' or '+' that cannot be a binary operator: a signed number, or a unary operator.
void Lexer::lex_sign(char sign) {
  const size_t start = pos_;
  ++pos_;
  std::string num = consume_digits();
  if (!num.empty() && at(pos_) == '.' && is_ascii_digit(at(pos_ + 1))) {
    ++pos_;
    num += "." + consume_digits();
  }
  const bool is_number = !num.empty();
  push(is_number ? TokenType::kNumericLiteral : TokenType::kUnaryOperator, std::string(1, sign) + num, start);
}

std::vector<Token> Lexer::run() {
  while (pos_ < s_.size()) {
    if (lex_text()) continue;
    if (starts("{#")) {
      lex_comment();
      continue;
    }
    if (starts("{%-") || starts("{{-")) {
      strip_trailing_whitespace();
      const bool statement = s_[pos_ + 1] == '%';
      push(statement ? TokenType::kOpenStatement : TokenType::kOpenExpression, statement ? "{%" : "{{", pos_);
      if (!statement) curly_depth_ = 0;
      pos_ += 3;
      continue;
    }
    while (size_t n = js::space_length_at(s_, pos_)) advance_checked(n);
    if (starts("-%}") || starts("-}}")) {
      const bool statement = s_[pos_ + 1] == '%';
      push(statement ? TokenType::kCloseStatement : TokenType::kCloseExpression, statement ? "%}" : "}}", pos_);
      pos_ += 3;
      skip_leading_whitespace();
      continue;
    }
    const char c = s_[pos_];
    if (c == '-' || c == '+') {
      const TokenType last = last_type();
      if (last == TokenType::kText || last == TokenType::kEnd) fail(std::string("unexpected character '") + c + "'", pos_);
      if (last != TokenType::kIdentifier && last != TokenType::kNumericLiteral && last != TokenType::kStringLiteral &&
          last != TokenType::kCloseParen && last != TokenType::kCloseSquareBracket) {
        lex_sign(c);
        continue;
      }
    }
    bool matched = false;
    for (const auto& [seq, type] : kMappingTable) {
      if (seq == "}}" && curly_depth_ > 0) continue;
      if (!starts(seq)) continue;
      push(type, std::string(seq), pos_);
      if (type == TokenType::kOpenExpression) curly_depth_ = 0;
      if (type == TokenType::kOpenCurlyBracket) ++curly_depth_;
      if (type == TokenType::kCloseCurlyBracket) --curly_depth_;
      pos_ += seq.size();
      matched = true;
      break;
    }
    if (matched) continue;
    const size_t start = pos_;
    if (c == '\'' || c == '"') {
      ++pos_;
      std::string value = consume_string(c);
      ++pos_;  // closing quote
      push(TokenType::kStringLiteral, std::move(value), start);
      continue;
    }
    if (is_ascii_digit(c)) {
      std::string num = consume_digits();
      if (last_type() != TokenType::kDot && at(pos_) == '.' && is_ascii_digit(at(pos_ + 1))) {
        ++pos_;
        num += "." + consume_digits();
      }
      push(TokenType::kNumericLiteral, std::move(num), start);
      continue;
    }
    if (is_ascii_word(c)) {
      std::string word;
      while (is_ascii_word(at(pos_))) {
        word += s_[pos_];
        advance_checked(1);
      }
      push(TokenType::kIdentifier, std::move(word), start);
      continue;
    }
    size_t len = 1;
    if (static_cast<unsigned char>(c) >= 0x80) utf8::decode_one(s_, pos_, &len);
    fail("unexpected character '" + s_.substr(pos_, len) + "'", pos_);
  }
  tokens_.push_back({TokenType::kEnd, "", origin(s_.size())});
  return std::move(tokens_);
}

}  // namespace

std::vector<Token> tokenize(std::string_view source) { return Lexer(preprocess(source)).run(); }

}  // namespace turbine::jinja
