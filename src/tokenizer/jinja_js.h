// The JavaScript string and number semantics the chat-template interpreter mirrors: the
// reference renderer (@huggingface/jinja) runs on JavaScript, so lengths count UTF-16 units,
// numbers are doubles printed the ECMAScript way, and trim/split know JavaScript's whitespace.
// Strings here are UTF-8. Pure functions; any thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace turbine::jinja::js {

// ECMAScript Number::toString (shortest round-trip digits, "1e+21", "NaN", "-Infinity").
std::string number_to_string(double v);
// FloatValue.toString of the reference: integral values keep ".0" ("3.0", "-0.0").
std::string float_to_string(double v);
// StringToNumber, what `==` applies to a string compared with a number; NaN when not numeric.
double string_to_number(std::string_view s);
// parseInt(s, 10) and parseFloat(s): longest numeric prefix after leading whitespace, else NaN.
double parse_int(std::string_view s);
double parse_float(std::string_view s);

// JavaScript's \s: White_Space plus U+FEFF. `pos` is a byte offset into `s`; returns the length of
// the whitespace code point starting there, 0 when there is none.
size_t space_length_at(std::string_view s, size_t pos);
bool ends_with_space(std::string_view s, size_t* len);  // *len: bytes of that last code point
std::string_view trim_start(std::string_view s);
std::string_view trim_end(std::string_view s);
std::string_view trim(std::string_view s);

size_t utf16_length(std::string_view s);  // String.prototype.length
// Code points, each as its UTF-8 bytes (Array.from(str)); an ill-formed byte is one element.
std::vector<std::string_view> code_points(std::string_view s);
// str.at(index) on UTF-16 units (negative counts from the end); a lone surrogate half becomes
// U+FFFD since UTF-8 cannot carry it. nullopt when out of range.
std::optional<std::string> at_utf16(std::string_view s, double index);
// a < b as JavaScript compares strings: by UTF-16 code units. Returns -1, 0 or 1.
int compare_utf16(std::string_view a, std::string_view b);

std::string to_upper(std::string_view s);  // full Unicode case mapping, root locale
std::string to_lower(std::string_view s);
std::string title_ascii(std::string_view s);  // s.replace(/\b\w/g, toUpperCase)
std::string capitalize_first(std::string_view s);  // charAt(0).toUpperCase() + slice(1)

// JSON.stringify of a string; ensure_ascii escapes every unit from U+007F up as \uXXXX.
void append_json_quoted(std::string& out, std::string_view s, bool ensure_ascii);

}  // namespace turbine::jinja::js
