#include "tokenizer/jinja_js.h"

#include <charconv>
#include <cmath>
#include <cstdio>
#include <limits>

#include <unicode/ustring.h>

#include "tokenizer/utf8.h"

namespace turbine::jinja::js {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();

bool is_js_space(uint32_t cp) {
  if (cp < 0x80) return (cp >= 0x09 && cp <= 0x0D) || cp == 0x20;
  return cp == 0xA0 || cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200A) || cp == 0x2028 ||
         cp == 0x2029 || cp == 0x202F || cp == 0x205F || cp == 0x3000 || cp == 0xFEFF;
}

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// Length of the longest StrDecimalLiteral prefix of s (sign, digits, fraction, exponent, or
// "Infinity"); 0 when there is none.
size_t decimal_prefix(std::string_view s, bool* is_infinity) {
  size_t i = 0;
  *is_infinity = false;
  if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
  if (s.substr(i, 8) == "Infinity") {
    *is_infinity = true;
    return i + 8;
  }
  const size_t int_start = i;
  while (i < s.size() && is_digit(s[i])) ++i;
  size_t num_digits = i - int_start;
  if (i < s.size() && s[i] == '.') {
    size_t j = i + 1;
    while (j < s.size() && is_digit(s[j])) ++j;
    num_digits += j - i - 1;
    if (num_digits > 0) i = j;
  }
  if (num_digits == 0) return 0;
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    size_t j = i + 1;
    if (j < s.size() && (s[j] == '+' || s[j] == '-')) ++j;
    const size_t exp_start = j;
    while (j < s.size() && is_digit(s[j])) ++j;
    if (j > exp_start) i = j;
  }
  return i;
}

// Value of a StrDecimalLiteral that decimal_prefix() accepted in full.
double decimal_value(std::string_view s, bool is_infinity) {
  const bool negative = !s.empty() && s[0] == '-';
  if (!s.empty() && (s[0] == '+' || s[0] == '-')) s.remove_prefix(1);
  double v = 0;
  if (is_infinity) {
    v = kInf;
  } else {
    const auto r = std::from_chars(s.data(), s.data() + s.size(), v);
    if (r.ec == std::errc::result_out_of_range) {
      // Overflow is Infinity, underflow 0, as JavaScript rounds them.
      const bool tiny = s.find_first_of("123456789") == std::string_view::npos ||
                        s.find("e-") != std::string_view::npos || s.find("E-") != std::string_view::npos;
      v = tiny ? 0.0 : kInf;
    }
  }
  return negative ? -v : v;
}

// Non-decimal integer literal body ("ff" for 0x), or NaN when a character is not a digit.
double radix_value(std::string_view digits, int radix) {
  if (digits.empty()) return kNaN;
  double v = 0;
  for (char c : digits) {
    int d = -1;
    if (is_digit(c)) d = c - '0';
    else if (c >= 'a' && c <= 'z') d = c - 'a' + 10;
    else if (c >= 'A' && c <= 'Z') d = c - 'A' + 10;
    if (d < 0 || d >= radix) return kNaN;
    v = v * radix + d;
  }
  return v;
}

void append_hex4(std::string& out, uint32_t unit) {
  char buf[8];
  std::snprintf(buf, sizeof(buf), "\\u%04x", unit & 0xFFFF);
  out += buf;
}

std::string case_map(std::string_view s, bool upper) {
  bool ascii = true;
  for (unsigned char c : s) ascii &= c < 0x80;
  if (ascii) {
    std::string out(s);
    for (char& c : out) {
      if (upper && c >= 'a' && c <= 'z') c = static_cast<char>(c - 32);
      if (!upper && c >= 'A' && c <= 'Z') c = static_cast<char>(c + 32);
    }
    return out;
  }
  UErrorCode err = U_ZERO_ERROR;
  int32_t n16 = 0;
  u_strFromUTF8WithSub(nullptr, 0, &n16, s.data(), static_cast<int32_t>(s.size()), 0xFFFD, nullptr, &err);
  err = U_ZERO_ERROR;
  std::u16string src(static_cast<size_t>(n16), u'\0');
  u_strFromUTF8WithSub(src.data(), n16, nullptr, s.data(), static_cast<int32_t>(s.size()), 0xFFFD, nullptr, &err);
  if (U_FAILURE(err)) return std::string(s);
  // Full case mapping can grow a string (ß -> SS), up to three units per unit.
  std::u16string mapped(src.size() * 3 + 1, u'\0');
  err = U_ZERO_ERROR;
  const int32_t n = upper ? u_strToUpper(mapped.data(), static_cast<int32_t>(mapped.size()), src.data(), n16, "", &err)
                          : u_strToLower(mapped.data(), static_cast<int32_t>(mapped.size()), src.data(), n16, "", &err);
  if (U_FAILURE(err)) return std::string(s);
  std::string out(static_cast<size_t>(n) * 3, '\0');
  int32_t n8 = 0;
  err = U_ZERO_ERROR;
  u_strToUTF8WithSub(out.data(), static_cast<int32_t>(out.size()), &n8, mapped.data(), n, 0xFFFD, nullptr, &err);
  if (U_FAILURE(err)) return std::string(s);
  out.resize(static_cast<size_t>(n8));
  return out;
}

// UTF-16 units of one decoded code point (an ill-formed byte counts as U+FFFD, one unit).
void utf16_units(uint32_t cp, uint16_t units[2], int* count) {
  if (cp == utf8::kInvalid) cp = 0xFFFD;
  if (cp < 0x10000) {
    units[0] = static_cast<uint16_t>(cp);
    *count = 1;
  } else {
    units[0] = static_cast<uint16_t>(0xD800 + ((cp - 0x10000) >> 10));
    units[1] = static_cast<uint16_t>(0xDC00 + ((cp - 0x10000) & 0x3FF));
    *count = 2;
  }
}

}  // namespace

std::string number_to_string(double v) {
  if (std::isnan(v)) return "NaN";
  if (v == 0) return "0";
  if (std::isinf(v)) return v < 0 ? "-Infinity" : "Infinity";
  std::string out = v < 0 ? "-" : "";
  char buf[64];
  const auto r = std::to_chars(buf, buf + sizeof(buf), std::fabs(v), std::chars_format::scientific);
  const std::string_view sci(buf, static_cast<size_t>(r.ptr - buf));  // "d.ddde+XX"
  const size_t e_pos = sci.find('e');
  std::string digits;
  for (char c : sci.substr(0, e_pos)) {
    if (c != '.') digits += c;
  }
  int exp10 = 0;
  std::from_chars(sci.data() + e_pos + (sci[e_pos + 1] == '+' ? 2 : 1), sci.data() + sci.size(), exp10);
  const int k = static_cast<int>(digits.size());
  const int n = exp10 + 1;  // v = 0.digits * 10^n
  if (k <= n && n <= 21) {
    out += digits + std::string(static_cast<size_t>(n - k), '0');
  } else if (0 < n && n <= 21) {
    out += digits.substr(0, static_cast<size_t>(n)) + "." + digits.substr(static_cast<size_t>(n));
  } else if (-6 < n && n <= 0) {
    out += "0." + std::string(static_cast<size_t>(-n), '0') + digits;
  } else {
    out += digits.substr(0, 1);
    if (k > 1) out += "." + digits.substr(1);
    out += (n - 1 >= 0 ? "e+" : "e-") + std::to_string(std::abs(n - 1));
  }
  return out;
}

std::string float_to_string(double v) {
  if (v == 0 && std::signbit(v)) return "-0.0";
  if (std::isfinite(v) && std::fmod(v, 1.0) == 0) {
    if (std::fabs(v) >= 1e21) return number_to_string(v);  // toFixed falls back to toString
    char buf[400];
    std::snprintf(buf, sizeof(buf), "%.1f", v);
    return buf;
  }
  return number_to_string(v);
}

double string_to_number(std::string_view s) {
  s = trim(s);
  if (s.empty()) return 0;
  if (s.size() > 2 && s[0] == '0') {
    const char p = static_cast<char>(s[1] | 0x20);
    if (p == 'x') return radix_value(s.substr(2), 16);
    if (p == 'o') return radix_value(s.substr(2), 8);
    if (p == 'b') return radix_value(s.substr(2), 2);
  }
  bool inf = false;
  const size_t n = decimal_prefix(s, &inf);
  if (n != s.size()) return kNaN;
  return decimal_value(s, inf);
}

double parse_int(std::string_view s) {
  s = trim_start(s);
  size_t i = 0;
  const bool negative = i < s.size() && s[i] == '-';
  if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
  const size_t start = i;
  while (i < s.size() && is_digit(s[i])) ++i;
  if (i == start) return kNaN;
  double v = 0;
  const auto r = std::from_chars(s.data() + start, s.data() + i, v);
  if (r.ec == std::errc::result_out_of_range) v = kInf;
  return negative ? -v : v;
}

double parse_float(std::string_view s) {
  s = trim_start(s);
  bool inf = false;
  const size_t n = decimal_prefix(s, &inf);
  if (n == 0) return kNaN;
  return decimal_value(s.substr(0, n), inf);
}

size_t space_length_at(std::string_view s, size_t pos) {
  if (pos >= s.size()) return 0;
  const auto c = static_cast<unsigned char>(s[pos]);
  if (c < 0x80) return is_js_space(c) ? 1 : 0;
  size_t len = 0;
  const uint32_t cp = utf8::decode_one(s, pos, &len);
  return cp != utf8::kInvalid && is_js_space(cp) ? len : 0;
}

bool ends_with_space(std::string_view s, size_t* len) {
  if (s.empty()) return false;
  size_t start = s.size() - 1;
  // Back up over continuation bytes to the start of the last code point (at most 3).
  while (start > 0 && s.size() - start < 4 && (static_cast<unsigned char>(s[start]) & 0xC0) == 0x80) --start;
  const size_t n = space_length_at(s, start);
  if (n != 0 && start + n == s.size()) {
    *len = n;
    return true;
  }
  return false;
}

std::string_view trim_start(std::string_view s) {
  size_t i = 0;
  while (size_t n = space_length_at(s, i)) i += n;
  return s.substr(i);
}

std::string_view trim_end(std::string_view s) {
  size_t n = 0;
  while (ends_with_space(s, &n)) s.remove_suffix(n);
  return s;
}

std::string_view trim(std::string_view s) { return trim_end(trim_start(s)); }

size_t utf16_length(std::string_view s) {
  size_t units = 0;
  for (size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      ++units;
      ++i;
      continue;
    }
    size_t len = 0;
    const uint32_t cp = utf8::decode_one(s, i, &len);
    units += (cp != utf8::kInvalid && cp >= 0x10000) ? 2 : 1;
    i += len;
  }
  return units;
}

std::vector<std::string_view> code_points(std::string_view s) {
  std::vector<std::string_view> out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size();) {
    size_t len = 1;
    if (static_cast<unsigned char>(s[i]) >= 0x80) utf8::decode_one(s, i, &len);
    out.push_back(s.substr(i, len));
    i += len;
  }
  return out;
}

std::optional<std::string> at_utf16(std::string_view s, double index) {
  const double length = static_cast<double>(utf16_length(s));
  if (std::isnan(index)) index = 0;
  index = std::trunc(index);
  if (index < 0) index += length;
  if (index < 0 || index >= length) return std::nullopt;
  const auto target = static_cast<size_t>(index);
  size_t unit = 0;
  for (size_t i = 0; i < s.size();) {
    size_t len = 1;
    uint32_t cp = static_cast<unsigned char>(s[i]);
    if (cp >= 0x80) cp = utf8::decode_one(s, i, &len);
    const size_t width = (cp != utf8::kInvalid && cp >= 0x10000) ? 2 : 1;
    if (target < unit + width) {
      if (width == 2 || cp == utf8::kInvalid) return std::string("\xEF\xBF\xBD");  // half a pair
      return std::string(s.substr(i, len));
    }
    unit += width;
    i += len;
  }
  return std::nullopt;
}

int compare_utf16(std::string_view a, std::string_view b) {
  size_t i = 0, j = 0;
  while (i < a.size() && j < b.size()) {
    size_t la = 1, lb = 1;
    uint32_t ca = static_cast<unsigned char>(a[i]);
    uint32_t cb = static_cast<unsigned char>(b[j]);
    if (ca >= 0x80) ca = utf8::decode_one(a, i, &la);
    if (cb >= 0x80) cb = utf8::decode_one(b, j, &lb);
    uint16_t ua[2], ub[2];
    int na = 0, nb = 0;
    utf16_units(ca, ua, &na);
    utf16_units(cb, ub, &nb);
    for (int k = 0; k < na && k < nb; ++k) {
      if (ua[k] != ub[k]) return ua[k] < ub[k] ? -1 : 1;
    }
    i += la;
    j += lb;
  }
  if (i < a.size()) return 1;
  if (j < b.size()) return -1;
  return 0;
}

std::string to_upper(std::string_view s) { return case_map(s, true); }
std::string to_lower(std::string_view s) { return case_map(s, false); }

std::string title_ascii(std::string_view s) {
  auto is_word = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || is_digit(c) || c == '_';
  };
  std::string out(s);
  for (size_t i = 0; i < out.size(); ++i) {
    if (is_word(out[i]) && (i == 0 || !is_word(out[i - 1])) && out[i] >= 'a' && out[i] <= 'z') {
      out[i] = static_cast<char>(out[i] - 32);
    }
  }
  return out;
}

std::string capitalize_first(std::string_view s) {
  if (s.empty()) return {};
  size_t len = 1;
  uint32_t cp = static_cast<unsigned char>(s[0]);
  if (cp >= 0x80) cp = utf8::decode_one(s, 0, &len);
  // charAt(0) of an astral character is half a surrogate pair, which has no case.
  if (cp == utf8::kInvalid || cp >= 0x10000) return std::string(s);
  return to_upper(s.substr(0, len)) + std::string(s.substr(len));
}

void append_json_quoted(std::string& out, std::string_view s, bool ensure_ascii) {
  out += '"';
  for (size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      switch (c) {
        case '"': out += "\\\""; break;
        case '\\': out += "\\\\"; break;
        case '\b': out += "\\b"; break;
        case '\f': out += "\\f"; break;
        case '\n': out += "\\n"; break;
        case '\r': out += "\\r"; break;
        case '\t': out += "\\t"; break;
        default:
          if (c < 0x20 || (ensure_ascii && c == 0x7F)) append_hex4(out, c);
          else out += static_cast<char>(c);
      }
      ++i;
      continue;
    }
    size_t len = 0;
    const uint32_t cp = utf8::decode_one(s, i, &len);
    if (!ensure_ascii || cp == utf8::kInvalid) {
      out.append(s.substr(i, len));
    } else {
      uint16_t units[2];
      int count = 0;
      utf16_units(cp, units, &count);
      for (int k = 0; k < count; ++k) append_hex4(out, units[k]);
    }
    i += len;
  }
  out += '"';
}

}  // namespace turbine::jinja::js
