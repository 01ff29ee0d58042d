#include "telemetry/prometheus_text.h"

#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>

namespace turbine::telemetry {
namespace {

bool is_name_char(char c, bool allow_colon) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         (allow_colon && c == ':');
}

bool is_valid_name(std::string_view name, bool allow_colon) {
  if (name.empty() || (name[0] >= '0' && name[0] <= '9')) return false;
  for (const char c : name) {
    if (!is_name_char(c, allow_colon)) return false;
  }
  return true;
}

// Python's repr() of a finite double: the shortest digits that round-trip, in fixed notation
// when the decimal exponent is in [-4, 16), else "d.ddde+XX".
std::string python_repr(double value) {
  char buf[64];
  const auto [end, ec] = std::to_chars(buf, buf + sizeof buf, value, std::chars_format::scientific);
  const std::string_view sci(buf, size_t(end - buf));  // "-1.2345e+05"
  const size_t e_pos = sci.find('e');
  const int exponent = std::atoi(std::string(sci.substr(e_pos + 1)).c_str());
  const bool negative = sci[0] == '-';
  std::string digits;  // the significant digits without the point
  for (const char c : sci.substr(0, e_pos)) {
    if (c >= '0' && c <= '9') digits += c;
  }
  std::string out = negative ? "-" : "";
  if (exponent < -4 || exponent >= 16) {
    out += digits[0];
    if (digits.size() > 1) out += "." + digits.substr(1);
    char exp_buf[16];
    std::snprintf(exp_buf, sizeof exp_buf, "e%c%02d", exponent < 0 ? '-' : '+', std::abs(exponent));
    return out + exp_buf;
  }
  if (exponent < 0) return out + "0." + std::string(size_t(-exponent - 1), '0') + digits;
  const size_t int_digits = size_t(exponent) + 1;
  if (digits.size() <= int_digits) return out + digits + std::string(int_digits - digits.size(), '0') + ".0";
  return out + digits.substr(0, int_digits) + "." + digits.substr(int_digits);
}

}  // namespace

bool is_valid_metric_name(std::string_view name) { return is_valid_name(name, /*allow_colon=*/true); }

bool is_valid_label_name(std::string_view name) {
  return is_valid_name(name, /*allow_colon=*/false) && name.substr(0, 2) != "__";
}

std::string escape_label_value(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (const char c : value) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '"') {
      out += "\\\"";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

std::string escape_help(std::string_view help) {
  std::string out;
  out.reserve(help.size());
  for (const char c : help) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

std::string format_value(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
  std::string s = python_repr(value);
  const size_t dot = s.find('.');
  // Go switches to an exponent sooner than Python; prometheus_client follows Go for positive
  // values of 1e6 and up: 1000000.0 -> "1e+06", 1234567.5 -> "1.2345675e+06".
  if (value > 0 && dot != std::string::npos && dot > 6 && s.find('e') == std::string::npos) {
    std::string mantissa = s.substr(0, 1) + "." + s.substr(1, dot - 1) + s.substr(dot + 1);
    while (!mantissa.empty() && (mantissa.back() == '0' || mantissa.back() == '.')) mantissa.pop_back();
    char exp_buf[16];
    std::snprintf(exp_buf, sizeof exp_buf, "e+%02d", int(dot - 1));
    return mantissa + exp_buf;
  }
  return s;
}

std::string format_labels(const Labels& labels, const std::pair<std::string, std::string>* extra) {
  if (labels.empty() && !extra) return {};
  std::string out = "{";
  bool first = true;
  const auto append = [&](const std::string& name, const std::string& value) {
    if (!first) out += ',';
    first = false;
    out += name;
    out += "=\"";
    out += escape_label_value(value);
    out += '"';
  };
  for (const auto& [name, value] : labels) append(name, value);
  if (extra) append(extra->first, extra->second);
  out += '}';
  return out;
}

}  // namespace turbine::telemetry
