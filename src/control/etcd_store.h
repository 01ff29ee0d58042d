// The cluster store: the Store interface on etcd 3.4 through its v3 JSON gateway. Unary calls
// are blocking HTTP requests with a short timeout (an unreachable etcd is kUnavailable naming
// the URL, never a hang); each watch has its own thread (EtcdWatch), re-established by itself
// after etcd restarts. Any thread may call any method; the object holds no lock while calling.
#pragma once

#include <memory>
#include <string>

#include "control/etcd_gateway.h"
#include "control/etcd_watch.h"
#include "control/store.h"

namespace turbine::control {

struct EtcdOptions {
  std::chrono::milliseconds call_timeout{3000};  // each unary call
  EtcdWatchOptions watch = {};
};

class EtcdStore : public Store {
 public:
  // `url`: "etcd://HOST:PORT" (PORT defaults to 2379). Checks that etcd answers (a range call):
  // kUnavailable naming the URL when it does not, kInvalidArgument for a malformed URL.
  static Result<std::unique_ptr<EtcdStore>> open(const std::string& url, EtcdOptions options = {});

  Result<std::optional<KeyValue>> get(std::string_view key) override;
  Result<std::vector<KeyValue>> get_prefix(std::string_view prefix) override;
  Status put(std::string_view key, std::string_view value, LeaseId lease = 0) override;
  Result<bool> erase(std::string_view key) override;

  // etcd may raise `ttl` to its minimum (1.5 election timeouts, rounded up to a second).
  Result<LeaseId> grant_lease(std::chrono::seconds ttl) override;
  Status keep_alive(LeaseId lease) override;
  Status revoke_lease(LeaseId lease) override;

  // Reads the snapshot before returning (so an unreachable etcd is an error here); the watch's
  // thread delivers it to on_snapshot, then the events.
  Result<std::unique_ptr<Watch>> watch_prefix(std::string_view prefix, WatchHandlers handlers) override;

  std::string url() const override { return gateway_.url(); }

 private:
  EtcdStore(EtcdGateway gateway, EtcdOptions options)
      : gateway_(std::move(gateway)), options_(options) {}

  const EtcdGateway gateway_;
  const EtcdOptions options_;
};

}  // namespace turbine::control
