// The state store: a small key-value space with revisions, leases and prefix watches, the one
// place where a cluster's processes find each other (workers under leases) and keep what must
// survive restarts (the model registry). Two implementations behind this interface: SQLite
// (embedded, one process, the default of `turbine serve`) and etcd (its v3 JSON gateway, across
// machines). Every method may be called from any thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace turbine::control {

using LeaseId = int64_t;  // 0: no lease

struct KeyValue {
  std::string key;
  std::string value;
  LeaseId lease = 0;
  int64_t mod_revision = 0;  // the store revision of the last put
};

struct WatchEvent {
  enum class Type { kPut, kDelete };
  Type type = Type::kPut;
  KeyValue kv;  // on kDelete only the key (and the revision of the delete) are set
};

// A prefix watch's callbacks, called one at a time, in order, on a thread of the store.
// They must not block for long and must not call the watch's destructor.
struct WatchHandlers {
  // Every key under the prefix as of the watch's start; again after the watch had to be
  // re-established (the store restarted or was unreachable), so the receiver can rebuild its
  // view from scratch: events between the two snapshots may have been missed.
  std::function<void(std::vector<KeyValue> snapshot)> on_snapshot;
  // Changes after the latest snapshot, in revision order.
  std::function<void(const WatchEvent& event)> on_event;
};

// A live watch; destroying it stops the callbacks (after one in progress returns).
class Watch {
 public:
  virtual ~Watch() = default;
};

class Store {
 public:
  virtual ~Store() = default;

  // The value under `key`; nullopt if there is none.
  virtual Result<std::optional<KeyValue>> get(std::string_view key) = 0;
  // Every key that starts with `prefix`, in key order.
  virtual Result<std::vector<KeyValue>> get_prefix(std::string_view prefix) = 0;
  // Sets `key`; with a lease the key is deleted when the lease ends (kNotFound: no such lease).
  virtual Status put(std::string_view key, std::string_view value, LeaseId lease = 0) = 0;
  // Deletes `key`; true if it existed.
  virtual Result<bool> erase(std::string_view key) = 0;

  // A lease that ends `ttl` after its last keep-alive, deleting its keys. etcd raises a short
  // TTL to its minimum (1.5 election timeouts, whole seconds: 2 s at etcd's defaults).
  virtual Result<LeaseId> grant_lease(std::chrono::seconds ttl) = 0;
  // Restarts the lease's TTL. kNotFound once it has ended.
  virtual Status keep_alive(LeaseId lease) = 0;
  // Ends the lease now, deleting its keys. Ending an unknown lease is not an error.
  virtual Status revoke_lease(LeaseId lease) = 0;

  // Watches every key under `prefix`: on_snapshot first, then events. Re-established by the
  // store itself after a broken connection (with a fresh snapshot).
  virtual Result<std::unique_ptr<Watch>> watch_prefix(std::string_view prefix, WatchHandlers handlers) = 0;

  // "sqlite:/path/file.db" or "etcd://host:port" — for logs and errors.
  virtual std::string url() const = 0;
};

// Opens the store named by `url`: "etcd://HOST:PORT" (etcd's v3 JSON gateway), "sqlite:PATH" or a
// plain PATH (an SQLite file, created if missing), or "sqlite::memory:" (in-process only).
// Errors name the URL and what is wrong (bad scheme, unreachable etcd, unreadable file).
Result<std::unique_ptr<Store>> open_store(const std::string& url);

}  // namespace turbine::control
