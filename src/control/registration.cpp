#include "control/registration.h"

#include <algorithm>

namespace turbine::control {

namespace {
constexpr std::chrono::milliseconds kMinRetry{100};
}  // namespace

LeasedRegistration::LeasedRegistration(Store& store, std::map<std::string, std::string> keys,
                                       std::chrono::seconds ttl)
    : store_(store), ttl_(ttl), keys_(std::move(keys)) {
  {
    std::lock_guard lock(store_mu_);
    register_anew();
  }
  keeper_ = std::thread([this] { keeper_loop(); });
}

LeasedRegistration::~LeasedRegistration() { stop(); }

void LeasedRegistration::stop() {
  {
    std::lock_guard lock(mu_);
    if (stopping_) return;
    stopping_ = true;
  }
  wake_.notify_all();
  if (keeper_.joinable()) keeper_.join();
  std::lock_guard store_lock(store_mu_);
  LeaseId lease = 0;
  {
    std::lock_guard lock(mu_);
    lease = lease_;
    lease_ = 0;
    registered_ = false;
  }
  if (lease != 0) {
    Status status = store_.revoke_lease(lease);  // unreachable: the lease ends by its TTL
    if (!status.is_ok()) record_failure(status);
  }
}

Status LeasedRegistration::set(const std::string& key, const std::string& value) {
  std::lock_guard store_lock(store_mu_);
  LeaseId lease = 0;
  {
    std::lock_guard lock(mu_);
    keys_[key] = value;
    if (!registered_) return Status::ok();
    lease = lease_;
  }
  Status status = store_.put(key, value, lease);
  if (!status.is_ok()) {
    record_failure(status);
    {
      std::lock_guard lock(mu_);
      renew_now_ = true;  // kNotFound: the lease is gone, re-register now
    }
    wake_.notify_all();
  }
  return status;
}

bool LeasedRegistration::registered() const {
  std::lock_guard lock(mu_);
  return registered_;
}

LeaseId LeasedRegistration::lease() const {
  std::lock_guard lock(mu_);
  return lease_;
}

int64_t LeasedRegistration::num_registrations() const {
  std::lock_guard lock(mu_);
  return num_registrations_;
}

int64_t LeasedRegistration::num_reregistrations() const {
  std::lock_guard lock(mu_);
  return std::max<int64_t>(0, num_registrations_ - 1);
}

Status LeasedRegistration::last_error() const {
  std::lock_guard lock(mu_);
  return last_error_;
}

void LeasedRegistration::record_failure(const Status& status) {
  std::lock_guard lock(mu_);
  last_error_ = status;
  registered_ = false;
  if (status.code() == ErrorCode::kNotFound) lease_ = 0;  // the lease ended: grant a new one
}

Status LeasedRegistration::put_keys(LeaseId lease) {
  std::map<std::string, std::string> keys;
  {
    std::lock_guard lock(mu_);
    keys = keys_;
  }
  for (const auto& [key, value] : keys) TB_RETURN_IF_ERROR(store_.put(key, value, lease));
  return Status::ok();
}

void LeasedRegistration::register_anew() {
  Result<LeaseId> lease = store_.grant_lease(ttl_);
  if (!lease.is_ok()) return record_failure(lease.status());
  if (Status status = put_keys(*lease); !status.is_ok()) {
    (void)store_.revoke_lease(*lease);  // best effort: otherwise it ends by its TTL
    return record_failure(status);
  }
  std::lock_guard lock(mu_);
  lease_ = *lease;
  registered_ = true;
  ++num_registrations_;
}

void LeasedRegistration::renew() {
  LeaseId lease = 0;
  bool was_registered = false;
  {
    std::lock_guard lock(mu_);
    lease = lease_;
    was_registered = registered_;
  }
  if (lease == 0) return register_anew();
  if (Status status = store_.keep_alive(lease); !status.is_ok()) {
    record_failure(status);
    if (status.code() == ErrorCode::kNotFound) register_anew();
    return;
  }
  if (!was_registered) {
    // The store answers again and still has the lease; the keys may not have survived
    // whatever happened in between (a put that failed, a store restored from a backup).
    if (Status status = put_keys(lease); !status.is_ok()) return record_failure(status);
    std::lock_guard lock(mu_);
    registered_ = true;
  }
}

void LeasedRegistration::keeper_loop() {
  const auto period = std::chrono::duration_cast<std::chrono::milliseconds>(ttl_) / 3;
  std::chrono::milliseconds retry = kMinRetry;
  std::unique_lock lock(mu_);
  while (!stopping_) {
    const auto wait = registered_ ? period : std::min(retry, period);
    // set() wakes it early after a failed put: the state then says what to do.
    wake_.wait_for(lock, wait, [&] { return stopping_ || renew_now_; });
    if (stopping_) return;
    renew_now_ = false;
    lock.unlock();
    {
      std::lock_guard store_lock(store_mu_);
      renew();
    }
    lock.lock();
    retry = registered_ ? kMinRetry : std::min(retry * 2, period);
  }
}

}  // namespace turbine::control
