// Keys kept alive under a lease: how a worker announces itself. A LeasedRegistration grants a
// lease, puts its keys under it, and renews the lease every TTL/3 on its own thread. When the
// lease is lost (it expired, or etcd came back without it) it grants a new one and puts the keys
// again; when the store was unreachable and answers again it puts them again under the lease it
// still holds. Stopping (or destroying) it revokes the lease, so the keys leave at once.
// Any thread may call any method. The store must outlive the registration.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <thread>

#include "control/store.h"

namespace turbine::control {

class LeasedRegistration {
 public:
  // Registers before returning (when the store answers; otherwise registered() is false and
  // the thread keeps trying), then keeps the registration alive. `ttl` as grant_lease takes it.
  LeasedRegistration(Store& store, std::map<std::string, std::string> keys, std::chrono::seconds ttl);
  ~LeasedRegistration();  // stop()
  LeasedRegistration(const LeasedRegistration&) = delete;
  LeasedRegistration& operator=(const LeasedRegistration&) = delete;

  // Adds or changes a key: put at once when registered, and again on every re-registration.
  // The put's error, if any (the key is kept and goes in with the next registration).
  Status set(const std::string& key, const std::string& value);

  // Revokes the lease (its keys leave the store now) and ends the thread. Idempotent.
  void stop();

  // The latest store call confirmed the keys are held under a live lease.
  bool registered() const;
  LeaseId lease() const;  // the lease the keys are under; 0 when there is none
  // Leases granted with the keys put under them: 1 after a plain start, +1 per re-registration.
  int64_t num_registrations() const;
  int64_t num_reregistrations() const;
  Status last_error() const;  // the latest failure; ok if there was none

 private:
  void keeper_loop();
  // Both with store_mu_ held.
  void renew();
  void register_anew();
  Status put_keys(LeaseId lease);
  void record_failure(const Status& status);

  Store& store_;
  const std::chrono::seconds ttl_;

  std::mutex store_mu_;  // serializes the store calls (the keeper thread, set(), stop())

  mutable std::mutex mu_;  // the state below; never held across a store call
  std::condition_variable wake_;
  std::map<std::string, std::string> keys_;
  LeaseId lease_ = 0;
  bool registered_ = false;
  bool stopping_ = false;
  bool renew_now_ = false;  // set() saw a put fail
  int64_t num_registrations_ = 0;
  Status last_error_;
  std::thread keeper_;
};

}  // namespace turbine::control
