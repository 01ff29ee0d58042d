#include "http/url.h"

namespace turbine::http {

std::string Url::authority() const {
  bool v6 = host.find(':') != std::string::npos;
  return (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

Result<Url> parse_url(std::string_view url) {
  constexpr std::string_view kScheme = "http://";
  std::string quoted = "'" + std::string(url) + "'";
  if (url.size() < kScheme.size()) return invalid_argument("not an http:// URL: " + quoted);
  for (size_t i = 0; i < kScheme.size(); ++i) {
    char c = url[i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c != kScheme[i]) return invalid_argument("not an http:// URL: " + quoted);
  }
  std::string_view rest = url.substr(kScheme.size());
  size_t fragment = rest.find('#');
  if (fragment != std::string_view::npos) rest = rest.substr(0, fragment);
  size_t path_start = rest.find_first_of("/?");
  std::string_view authority = rest.substr(0, path_start);
  Url out;
  out.target = path_start == std::string_view::npos ? "/" : std::string(rest.substr(path_start));
  if (out.target[0] == '?') out.target.insert(0, "/");
  if (authority.find('@') != std::string_view::npos) {
    return invalid_argument("user info in URLs is not supported: " + quoted);
  }

  std::string_view port;
  if (!authority.empty() && authority[0] == '[') {  // [v6]:port
    size_t close = authority.find(']');
    if (close == std::string_view::npos) return invalid_argument("unclosed '[' in URL " + quoted);
    out.host = std::string(authority.substr(1, close - 1));
    std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after[0] != ':') return invalid_argument("junk after ']' in URL " + quoted);
      port = after.substr(1);
    }
  } else {
    size_t colon = authority.rfind(':');
    out.host = std::string(authority.substr(0, colon));
    if (colon != std::string_view::npos) port = authority.substr(colon + 1);
  }
  if (out.host.empty()) return invalid_argument("no host in URL " + quoted);
  if (!port.empty()) {
    uint32_t value = 0;
    for (char c : port) {
      if (c < '0' || c > '9' || value > 65535) return invalid_argument("bad port in URL " + quoted);
      value = value * 10 + static_cast<uint32_t>(c - '0');
    }
    if (value == 0 || value > 65535) return invalid_argument("bad port in URL " + quoted);
    out.port = static_cast<uint16_t>(value);
  }
  return out;
}

}  // namespace turbine::http
