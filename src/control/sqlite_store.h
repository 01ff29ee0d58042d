// The embedded store: the Store interface on one SQLite file (or ":memory:"), for a single
// process (`turbine serve`). Keys, leases and the revision counter are tables, so the model
// registry survives restarts; lease expiry is kept as wall-clock time, so leases that ended while
// the process was down are reaped when the file is opened again. Watches are in-process only.
// Threads: any thread may call any method (one connection behind a mutex); a reaper thread ends
// expired leases; watch callbacks run on the WatchHub's notifier thread.
#pragma once

#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "control/store.h"

struct sqlite3;

namespace turbine::control {

class WatchHub;

class SqliteStore : public Store {
 public:
  // Opens (creating if missing) the database at `path`; ":memory:" for one that lives in this
  // object only. Errors (kIoError) name the path: unwritable directory, not a database...
  static Result<std::unique_ptr<SqliteStore>> open(const std::string& path);
  ~SqliteStore() override;
  SqliteStore(const SqliteStore&) = delete;
  SqliteStore& operator=(const SqliteStore&) = delete;

  Result<std::optional<KeyValue>> get(std::string_view key) override;
  Result<std::vector<KeyValue>> get_prefix(std::string_view prefix) override;
  Status put(std::string_view key, std::string_view value, LeaseId lease = 0) override;
  Result<bool> erase(std::string_view key) override;

  Result<LeaseId> grant_lease(std::chrono::seconds ttl) override;
  Status keep_alive(LeaseId lease) override;
  Status revoke_lease(LeaseId lease) override;

  Result<std::unique_ptr<Watch>> watch_prefix(std::string_view prefix, WatchHandlers handlers) override;

  std::string url() const override { return "sqlite:" + path_; }

  // The revision of the latest change (0 for a new store).
  Result<int64_t> revision();

 private:
  SqliteStore(std::string path, sqlite3* db);
  Status init_schema();
  void reaper_loop();

  // All below with mu_ held.
  Status exec(const char* sql);
  Result<int64_t> current_revision();
  Status set_revision(int64_t revision);
  Status reap_expired(int64_t now_ms);
  Status end_lease(LeaseId lease);
  Result<std::vector<KeyValue>> read_prefix(std::string_view prefix);
  Status error(const std::string& what) const;  // kIoError with the path and SQLite's message

  const std::string path_;
  std::mutex mu_;
  sqlite3* db_;  // guarded by mu_
  std::shared_ptr<WatchHub> hub_;
  std::condition_variable reaper_wake_;  // with mu_: a lease granted, or stopping
  bool stopping_ = false;                // guarded by mu_
  std::thread reaper_;
};

}  // namespace turbine::control
