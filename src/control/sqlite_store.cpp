#include "control/sqlite_store.h"

#include <sqlite3.h>

#include <algorithm>
#include <utility>

#include "control/key_range.h"
#include "control/watch_hub.h"

namespace turbine::control {

namespace {

constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS meta(name TEXT PRIMARY KEY, value INTEGER NOT NULL);
INSERT OR IGNORE INTO meta(name, value) VALUES('revision', 0);
CREATE TABLE IF NOT EXISTS leases(
  id INTEGER PRIMARY KEY AUTOINCREMENT,  -- never reused, across restarts too
  ttl_s INTEGER NOT NULL,
  expires_at_ms INTEGER NOT NULL);        -- wall clock, ms since the Unix epoch
CREATE INDEX IF NOT EXISTS leases_by_expiry ON leases(expires_at_ms);
CREATE TABLE IF NOT EXISTS kv(
  key BLOB PRIMARY KEY,                   -- BLOB: ordered bytewise (memcmp), as etcd orders
  value BLOB NOT NULL,
  lease INTEGER NOT NULL DEFAULT 0,
  create_revision INTEGER NOT NULL,
  mod_revision INTEGER NOT NULL) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS kv_by_lease ON kv(lease) WHERE lease != 0;
PRAGMA user_version = 1;
)sql";

// The longest the reaper sleeps, so a wall-clock jump delays an expiry by at most this.
constexpr std::chrono::milliseconds kMaxReaperSleep{1000};

int64_t wall_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// One prepared statement; binds blobs (keys and values are bytes) and integers.
class Stmt {
 public:
  Stmt(sqlite3* db, const char* sql) { rc_ = sqlite3_prepare_v2(db, sql, -1, &stmt_, nullptr); }
  ~Stmt() { sqlite3_finalize(stmt_); }
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;

  Stmt& bind(int index, std::string_view bytes) {
    // A null pointer would bind NULL, not an empty blob.
    if (rc_ == SQLITE_OK)
      rc_ = sqlite3_bind_blob(stmt_, index, bytes.empty() ? "" : bytes.data(),
                              static_cast<int>(bytes.size()), SQLITE_TRANSIENT);
    return *this;
  }
  Stmt& bind(int index, int64_t value) {
    if (rc_ == SQLITE_OK) rc_ = sqlite3_bind_int64(stmt_, index, value);
    return *this;
  }
  // True for a row, false when done or on an error (then failed() is true).
  bool step() {
    if (rc_ != SQLITE_OK && rc_ != SQLITE_ROW) return false;
    rc_ = sqlite3_step(stmt_);
    if (rc_ == SQLITE_DONE) {
      done_ = true;
      rc_ = SQLITE_OK;
      return false;
    }
    return rc_ == SQLITE_ROW;
  }
  bool failed() const { return rc_ != SQLITE_OK && rc_ != SQLITE_ROW; }
  bool done() const { return done_; }

  std::string text(int column) const {
    const void* data = sqlite3_column_blob(stmt_, column);
    return data ? std::string(static_cast<const char*>(data), sqlite3_column_bytes(stmt_, column))
                : std::string();
  }
  int64_t integer(int column) const { return sqlite3_column_int64(stmt_, column); }
  bool is_null(int column) const { return sqlite3_column_type(stmt_, column) == SQLITE_NULL; }

 private:
  sqlite3_stmt* stmt_ = nullptr;
  int rc_ = SQLITE_OK;
  bool done_ = false;
};

KeyValue read_kv(const Stmt& row) {  // columns: key, value, lease, mod_revision
  return KeyValue{.key = row.text(0), .value = row.text(1), .lease = row.integer(2),
                  .mod_revision = row.integer(3)};
}

// BEGIN IMMEDIATE ... COMMIT; rolled back unless committed.
class Transaction {
 public:
  explicit Transaction(sqlite3* db) : db_(db) {
    began_ = sqlite3_exec(db_, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr) == SQLITE_OK;
  }
  ~Transaction() {
    if (began_ && !committed_) sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
  }
  bool began() const { return began_; }
  bool commit() {
    committed_ = sqlite3_exec(db_, "COMMIT", nullptr, nullptr, nullptr) == SQLITE_OK;
    return committed_;
  }

 private:
  sqlite3* db_;
  bool began_ = false;
  bool committed_ = false;
};

WatchEvent delete_event(std::string key, int64_t revision) {
  WatchEvent event;
  event.type = WatchEvent::Type::kDelete;
  event.kv.key = std::move(key);
  event.kv.mod_revision = revision;
  return event;
}

Status check_key(std::string_view key) {
  return key.empty() ? invalid_argument("an empty key") : Status::ok();
}

}  // namespace

Result<std::unique_ptr<SqliteStore>> SqliteStore::open(const std::string& path) {
  if (path.empty()) return invalid_argument("sqlite store: an empty path");
  sqlite3* db = nullptr;
  const int rc = sqlite3_open_v2(path.c_str(), &db,
                                 SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                                 nullptr);
  if (rc != SQLITE_OK) {
    std::string message = db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
    sqlite3_close(db);
    return io_error("sqlite:" + path + ": cannot open: " + message);
  }
  std::unique_ptr<SqliteStore> store(new SqliteStore(path, db));
  TB_RETURN_IF_ERROR(store->init_schema());
  store->reaper_ = std::thread([raw = store.get()] { raw->reaper_loop(); });
  return store;
}

SqliteStore::SqliteStore(std::string path, sqlite3* db)
    : path_(std::move(path)), db_(db), hub_(WatchHub::create()) {}

SqliteStore::~SqliteStore() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  reaper_wake_.notify_all();
  if (reaper_.joinable()) reaper_.join();
  hub_.reset();  // stops the notifier; live Watch objects hold only a weak reference
  sqlite3_close(db_);
}

Status SqliteStore::error(const std::string& what) const {
  return io_error(url() + ": " + what + ": " + sqlite3_errmsg(db_));
}

Status SqliteStore::exec(const char* sql) {
  char* message = nullptr;
  if (sqlite3_exec(db_, sql, nullptr, nullptr, &message) == SQLITE_OK) return Status::ok();
  Status status = io_error(url() + ": " + (message ? message : sqlite3_errmsg(db_)));
  sqlite3_free(message);
  return status;
}

Status SqliteStore::init_schema() {
  std::lock_guard lock(mu_);
  sqlite3_busy_timeout(db_, 5000);  // another process holding the file: wait, then kIoError
  TB_RETURN_IF_ERROR(exec("PRAGMA journal_mode=WAL"));  // ":memory:" answers "memory": fine
  TB_RETURN_IF_ERROR(exec("PRAGMA synchronous=NORMAL"));
  TB_RETURN_IF_ERROR(exec(kSchema));
  return reap_expired(wall_ms());  // leases that ended while no process had the file open
}

Result<int64_t> SqliteStore::current_revision() {
  Stmt stmt(db_, "SELECT value FROM meta WHERE name = 'revision'");
  if (!stmt.step()) return error("reading the revision");
  return stmt.integer(0);
}

Status SqliteStore::set_revision(int64_t revision) {
  Stmt stmt(db_, "UPDATE meta SET value = ? WHERE name = 'revision'");
  stmt.bind(1, revision).step();
  return stmt.failed() ? error("writing the revision") : Status::ok();
}

Result<int64_t> SqliteStore::revision() {
  std::lock_guard lock(mu_);
  return current_revision();
}

// Deletes the lease and its keys in one revision (as etcd does), then tells the watchers.
Status SqliteStore::end_lease(LeaseId lease) {
  Transaction txn(db_);
  if (!txn.began()) return error("beginning a transaction");
  std::vector<std::string> keys;
  {
    Stmt select(db_, "SELECT key FROM kv WHERE lease = ? ORDER BY key");
    select.bind(1, lease);
    while (select.step()) keys.push_back(select.text(0));
    if (select.failed()) return error("reading the keys of a lease");
  }
  Stmt delete_keys(db_, "DELETE FROM kv WHERE lease = ?");
  delete_keys.bind(1, lease).step();
  Stmt delete_lease(db_, "DELETE FROM leases WHERE id = ?");
  delete_lease.bind(1, lease).step();
  if (delete_keys.failed() || delete_lease.failed()) return error("ending a lease");
  int64_t revision = 0;
  if (!keys.empty()) {
    TB_ASSIGN_OR_RETURN(revision, current_revision());
    ++revision;
    TB_RETURN_IF_ERROR(set_revision(revision));
  }
  if (!txn.commit()) return error("committing");
  std::vector<WatchEvent> events;
  for (std::string& key : keys) {
    events.push_back(delete_event(std::move(key), revision));
  }
  hub_->publish(std::move(events));
  return Status::ok();
}

Status SqliteStore::reap_expired(int64_t now_ms) {
  std::vector<LeaseId> expired;
  {
    Stmt stmt(db_, "SELECT id FROM leases WHERE expires_at_ms <= ? ORDER BY expires_at_ms, id");
    stmt.bind(1, now_ms);
    while (stmt.step()) expired.push_back(stmt.integer(0));
    if (stmt.failed()) return error("reading expired leases");
  }
  for (LeaseId lease : expired) TB_RETURN_IF_ERROR(end_lease(lease));
  return Status::ok();
}

void SqliteStore::reaper_loop() {
  std::unique_lock lock(mu_);
  while (!stopping_) {
    const int64_t now = wall_ms();
    (void)reap_expired(now);  // an error here resurfaces on the next call that reaps
    std::chrono::milliseconds sleep = kMaxReaperSleep;
    {
      Stmt next(db_, "SELECT MIN(expires_at_ms) FROM leases");
      if (next.step() && !next.is_null(0)) sleep = std::chrono::milliseconds(next.integer(0) - now);
    }
    sleep = std::clamp(sleep, std::chrono::milliseconds(1), kMaxReaperSleep);
    reaper_wake_.wait_for(lock, sleep);
  }
}

Result<std::vector<KeyValue>> SqliteStore::read_prefix(std::string_view prefix) {
  const std::string end = prefix_range_end(prefix);
  const char* sql = end.empty()
                        ? "SELECT key, value, lease, mod_revision FROM kv WHERE key >= ? ORDER BY key"
                        : "SELECT key, value, lease, mod_revision FROM kv WHERE key >= ? AND key < ? "
                          "ORDER BY key";
  Stmt stmt(db_, sql);
  stmt.bind(1, prefix);
  if (!end.empty()) stmt.bind(2, std::string_view(end));
  std::vector<KeyValue> kvs;
  while (stmt.step()) kvs.push_back(read_kv(stmt));
  if (stmt.failed()) return error("reading keys");
  return kvs;
}

Result<std::optional<KeyValue>> SqliteStore::get(std::string_view key) {
  TB_RETURN_IF_ERROR(check_key(key));
  std::lock_guard lock(mu_);
  TB_RETURN_IF_ERROR(reap_expired(wall_ms()));
  Stmt stmt(db_, "SELECT key, value, lease, mod_revision FROM kv WHERE key = ?");
  stmt.bind(1, key);
  if (stmt.step()) return std::optional<KeyValue>(read_kv(stmt));
  if (stmt.failed()) return error("reading a key");
  return std::optional<KeyValue>();
}

Result<std::vector<KeyValue>> SqliteStore::get_prefix(std::string_view prefix) {
  std::lock_guard lock(mu_);
  TB_RETURN_IF_ERROR(reap_expired(wall_ms()));
  return read_prefix(prefix);
}

Status SqliteStore::put(std::string_view key, std::string_view value, LeaseId lease) {
  TB_RETURN_IF_ERROR(check_key(key));
  std::lock_guard lock(mu_);
  TB_RETURN_IF_ERROR(reap_expired(wall_ms()));
  Transaction txn(db_);
  if (!txn.began()) return error("beginning a transaction");
  if (lease != 0) {
    Stmt find(db_, "SELECT 1 FROM leases WHERE id = ?");
    find.bind(1, lease);
    if (!find.step()) {
      if (find.failed()) return error("reading a lease");
      return not_found(url() + ": lease " + std::to_string(lease) + " not found");
    }
  }
  TB_ASSIGN_OR_RETURN(int64_t revision, current_revision());
  ++revision;
  Stmt upsert(db_,
              "INSERT INTO kv(key, value, lease, create_revision, mod_revision) VALUES(?, ?, ?, ?, ?) "
              "ON CONFLICT(key) DO UPDATE SET value = excluded.value, lease = excluded.lease, "
              "mod_revision = excluded.mod_revision");
  upsert.bind(1, key).bind(2, value).bind(3, lease).bind(4, revision).bind(5, revision).step();
  if (upsert.failed()) return error("writing a key");
  TB_RETURN_IF_ERROR(set_revision(revision));
  if (!txn.commit()) return error("committing");
  hub_->publish({WatchEvent{.type = WatchEvent::Type::kPut,
                            .kv = KeyValue{.key = std::string(key), .value = std::string(value),
                                           .lease = lease, .mod_revision = revision}}});
  return Status::ok();
}

Result<bool> SqliteStore::erase(std::string_view key) {
  TB_RETURN_IF_ERROR(check_key(key));
  std::lock_guard lock(mu_);
  TB_RETURN_IF_ERROR(reap_expired(wall_ms()));
  Transaction txn(db_);
  if (!txn.began()) return error("beginning a transaction");
  Stmt erase(db_, "DELETE FROM kv WHERE key = ?");
  erase.bind(1, key).step();
  if (erase.failed()) return error("deleting a key");
  if (sqlite3_changes(db_) == 0) return false;  // nothing changed: no new revision
  TB_ASSIGN_OR_RETURN(int64_t revision, current_revision());
  ++revision;
  TB_RETURN_IF_ERROR(set_revision(revision));
  if (!txn.commit()) return error("committing");
  hub_->publish({delete_event(std::string(key), revision)});
  return true;
}

Result<LeaseId> SqliteStore::grant_lease(std::chrono::seconds ttl) {
  if (ttl.count() <= 0) return invalid_argument("a lease TTL must be positive");
  LeaseId lease = 0;
  {
    std::lock_guard lock(mu_);
    Stmt insert(db_, "INSERT INTO leases(ttl_s, expires_at_ms) VALUES(?, ?)");
    insert.bind(1, static_cast<int64_t>(ttl.count()))
        .bind(2, wall_ms() + ttl.count() * 1000)
        .step();
    if (insert.failed()) return error("granting a lease");
    lease = sqlite3_last_insert_rowid(db_);
  }
  reaper_wake_.notify_all();  // this lease may end before the one the reaper waits for
  return lease;
}

Status SqliteStore::keep_alive(LeaseId lease) {
  std::lock_guard lock(mu_);
  const int64_t now = wall_ms();
  TB_RETURN_IF_ERROR(reap_expired(now));
  Stmt update(db_, "UPDATE leases SET expires_at_ms = ? + ttl_s * 1000 WHERE id = ?");
  update.bind(1, now).bind(2, lease).step();
  if (update.failed()) return error("renewing a lease");
  if (sqlite3_changes(db_) == 0) return not_found(url() + ": lease " + std::to_string(lease) + " not found");
  return Status::ok();
}

Status SqliteStore::revoke_lease(LeaseId lease) {
  std::lock_guard lock(mu_);
  TB_RETURN_IF_ERROR(reap_expired(wall_ms()));
  return end_lease(lease);
}

Result<std::unique_ptr<Watch>> SqliteStore::watch_prefix(std::string_view prefix, WatchHandlers handlers) {
  std::lock_guard lock(mu_);  // held across add(): no change slips between snapshot and events
  TB_RETURN_IF_ERROR(reap_expired(wall_ms()));
  TB_ASSIGN_OR_RETURN(int64_t revision, current_revision());
  TB_ASSIGN_OR_RETURN(std::vector<KeyValue> snapshot, read_prefix(prefix));
  return hub_->add(std::string(prefix), revision, std::move(snapshot), std::move(handlers));
}

}  // namespace turbine::control
