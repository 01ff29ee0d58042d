// open_store(): the store named by a URL.
#include "control/store.h"

#include <cctype>

#include "control/etcd_store.h"
#include "control/sqlite_store.h"

namespace turbine::control {

namespace {

// The scheme of "scheme:rest" (RFC 3986: a letter, then letters, digits, '+', '-', '.'), or ""
// when `url` has none (a plain path such as "/var/lib/turbine/state.db" or "state.db").
std::string scheme_of(const std::string& url) {
  const size_t colon = url.find(':');
  if (colon == std::string::npos || colon == 0 || !std::isalpha(static_cast<unsigned char>(url[0]))) return "";
  for (size_t i = 1; i < colon; ++i) {
    const unsigned char c = static_cast<unsigned char>(url[i]);
    if (!std::isalnum(c) && c != '+' && c != '-' && c != '.') return "";
  }
  return url.substr(0, colon);
}

}  // namespace

Result<std::unique_ptr<Store>> open_store(const std::string& url) {
  if (url.empty()) return invalid_argument("an empty store URL");
  const std::string scheme = scheme_of(url);
  if (scheme == "etcd") {
    TB_ASSIGN_OR_RETURN(std::unique_ptr<EtcdStore> store, EtcdStore::open(url));
    return std::unique_ptr<Store>(std::move(store));
  }
  std::string path;
  if (scheme == "sqlite") {
    path = url.substr(scheme.size() + 1);
    if (path.rfind("//", 0) == 0) path.erase(0, 2);  // "sqlite:///abs/path" as well
    if (path.empty()) return invalid_argument(url + ": no path after sqlite:");
  } else if (scheme.empty()) {
    path = url;
  } else {
    return invalid_argument(url + ": unknown store scheme '" + scheme +
                            "' (expected etcd://HOST:PORT, sqlite:PATH or a file path)");
  }
  TB_ASSIGN_OR_RETURN(std::unique_ptr<SqliteStore> store, SqliteStore::open(path));
  return std::unique_ptr<Store>(std::move(store));
}

}  // namespace turbine::control
