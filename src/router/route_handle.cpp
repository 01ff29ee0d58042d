#include "router/route_handle.h"

#include <algorithm>
#include <chrono>
#include <functional>
#include <random>
#include <thread>
#include <utility>

#include "router/router_core.h"
#include "telemetry/counter.h"

namespace turbine {
namespace {

Rng& thread_rng() {
  thread_local Rng rng(uint64_t(std::random_device{}()) ^
                       (uint64_t(std::hash<std::thread::id>{}(std::this_thread::get_id())) << 1) ^
                       uint64_t(Clock::now().time_since_epoch().count()));
  return rng;
}

// Failures that say nothing about the request itself: another instance may well take it.
bool is_retryable(ErrorCode code) {
  return code == ErrorCode::kResourceExhausted || code == ErrorCode::kUnavailable ||
         code == ErrorCode::kDeadlineExceeded;
}

// Failures that say the instance itself is in trouble (down, or silent).
bool is_unreachable(ErrorCode code) {
  return code == ErrorCode::kUnavailable || code == ErrorCode::kDeadlineExceeded;
}

double seconds(Clock::duration d) { return std::chrono::duration<double>(d).count(); }

}  // namespace

struct RouteHandle::Attempt {
  std::shared_ptr<RouterCore> core;   // for the clock when the attempt ends, even after the Router
  std::shared_ptr<Instance> instance;
  int32_t number = 0;                 // 1-based
  bool probe = false;                 // the latency policy's probe: end_probe() at the end
  int64_t num_blocks = 0;             // passed to begin_request() / end_request()
  Clock::time_point start;            // the router's clock, just before generate()
  std::atomic<bool> ended{false};     // in-flight bookkeeping done
  std::atomic<bool> superseded{false};  // failed early and retried: later outputs are dropped

  // Guarded by the handle's mu_.
  uint64_t worker_id = 0;
  bool has_id = false;                // generate() returned

  // The attempt's output thread only (a client sends one request's outputs in order).
  bool forwarded_any = false;
  bool got_first_token = false;
  bool have_last_token = false;       // choice 0's last token time is set
  Clock::time_point last_token_time;  // choice 0
  int32_t num_finished = 0;           // choices that got their final output

  // Ends the bookkeeping once; true for the caller that did.
  bool finish() {
    if (ended.exchange(true, std::memory_order_acq_rel)) return false;
    instance->end_request(num_blocks);
    if (probe) instance->end_probe(core->now());
    return true;
  }
  // A client that drops the sink without a final output must not leave the count up forever.
  ~Attempt() { finish(); }
};

RouteHandle::RouteHandle(Key, std::shared_ptr<RouterCore> core, std::string model, std::string version,
                         WorkerRequest request, OutputSink sink)
    : core_(std::move(core)),
      model_(std::move(model)),
      version_(std::move(version)),
      request_(std::move(request)),
      prompt_blocks_(&request_.prompt),
      sink_(std::move(sink)),
      num_choices_(std::max(request_.params.n, 1)) {
  tried_.reserve(size_t(core_->options.max_attempts));
}

RouteHandle::~RouteHandle() = default;

std::string RouteHandle::instance_id() const {
  std::lock_guard lock(mu_);
  return current_ ? current_->instance->id() : std::string();
}

int32_t RouteHandle::num_attempts() const {
  std::lock_guard lock(mu_);
  return int32_t(tried_.size());
}

Clock::duration RouteHandle::start(const PoolSnapshot& snapshot) {
  Clock::duration generate_time{0};
  run_attempts(&snapshot, &generate_time);
  return generate_time;
}

std::shared_ptr<RouteHandle::Attempt> RouteHandle::pick_attempt(const PoolSnapshot& snapshot) {
  const ModelGroup* group = snapshot.group(model_);
  if (!group) return nullptr;
  // Per-thread scratch: once warm, building the candidate list allocates nothing.
  thread_local std::vector<Instance*> healthy;
  thread_local std::vector<Instance*> unhealthy;
  healthy.clear();
  unhealthy.clear();
  const Clock::time_point now = core_->now();
  for (const auto& inst : group->instances) {
    if (!version_.empty() && inst->info().version != version_) continue;
    if (std::find(tried_.begin(), tried_.end(), inst->key()) != tried_.end()) continue;
    (inst->is_healthy(now) ? healthy : unhealthy).push_back(inst.get());
  }
  // Every untried instance marked unhealthy: try them anyway (Envoy's panic mode); the marks
  // may be stale, and an answer from a recovering instance beats a certain 503.
  const std::vector<Instance*>& candidates = healthy.empty() ? unhealthy : healthy;
  if (candidates.empty()) return nullptr;

  RouteContext ctx{candidates, &request_, &prompt_blocks_, &thread_rng(), now};
  const Pick pick = group->policy->pick(ctx);
  TB_CHECK(pick.index >= 0 && size_t(pick.index) < candidates.size(), "policy picked out of range");
  Instance* chosen = candidates[size_t(pick.index)];

  auto attempt = std::make_shared<Attempt>();
  attempt->core = core_;
  attempt->instance = chosen->shared_from_this();
  attempt->number = int32_t(tried_.size()) + 1;
  attempt->probe = pick.probe;
  attempt->num_blocks =
      pick.num_new_blocks >= 0 ? pick.num_new_blocks : estimate_request_blocks(request_, chosen->info().block_size);
  attempt->start = now;
  chosen->begin_request(attempt->num_blocks);
  tried_.push_back(chosen->key());
  current_ = attempt;
  return attempt;
}

void RouteHandle::run_attempts(const PoolSnapshot* snapshot, Clock::duration* generate_time) {
  std::shared_ptr<const PoolSnapshot> held;
  if (!snapshot) {  // a retry: the pool may have changed since submit()
    held = core_->pool.snapshot();
    snapshot = held.get();
  }
  const int32_t max_attempts = core_->options.max_attempts;
  for (;;) {
    std::shared_ptr<Attempt> attempt;
    bool cancelled = false;
    {
      std::lock_guard lock(mu_);
      cancelled = cancelled_;
      if (!cancelled && int32_t(tried_.size()) < max_attempts) attempt = pick_attempt(*snapshot);
    }
    if (cancelled) return deliver_abort();
    if (!attempt) return deliver_exhausted();
    if (attempt->number > 1 && core_->retries_total) core_->retries_total->inc();

    OutputSink sink = [self = shared_from_this(), attempt](RequestOutput&& out) {
      self->on_output(*attempt, std::move(out));
    };
    // The last possible attempt takes the request itself; earlier ones a copy, kept for retries.
    WorkerRequest request = attempt->number >= max_attempts ? std::move(request_) : request_;
    const Clock::time_point t0 = Clock::now();
    Result<uint64_t> id = attempt->instance->client().generate(std::move(request), std::move(sink));
    if (generate_time) *generate_time += Clock::now() - t0;

    if (id.is_ok()) {
      bool cancel_now = false;
      {
        std::lock_guard lock(mu_);
        attempt->worker_id = id.value();
        attempt->has_id = true;
        // cancel() came while generate() ran: it could not reach the worker, so do it here.
        cancel_now = cancelled_ && current_ == attempt && !attempt->ended.load();
      }
      if (cancel_now) attempt->instance->client().cancel(id.value());
      return;
    }
    // Nothing started; the sink will not be called (if the client broke that rule and its sink
    // already ended the attempt, the sink's path owns the outcome).
    attempt->superseded.store(true);
    if (!attempt->finish()) return;
    const Status& status = id.status();
    if (!note_failure(*attempt, status.code(), status.message()))
      return deliver_final_error(status.code(), attempt->instance->id() + ": " + status.message());
  }
}

bool RouteHandle::note_failure(Attempt& attempt, ErrorCode code, const std::string& message) {
  if (is_unreachable(code)) attempt.instance->mark_unhealthy_until(core_->now() + core_->unhealthy_cooldown);
  std::lock_guard lock(mu_);
  if (code != ErrorCode::kResourceExhausted) all_full_ = false;
  last_error_ = attempt.instance->id() + ": " + message;
  return is_retryable(code);
}

void RouteHandle::on_output(Attempt& a, RequestOutput&& out) {
  if (a.superseded.load(std::memory_order_acquire)) return;  // stray output of a retried attempt
  if (out.finish_reason == FinishReason::kError) {
    const ErrorCode code = out.error_code == ErrorCode::kOk ? ErrorCode::kInternal : out.error_code;
    if (!out.started && !a.forwarded_any && is_retryable(code)) {
      // Failed before the caller saw anything: try another instance, from this thread.
      a.superseded.store(true, std::memory_order_release);
      if (!a.finish()) return;
      note_failure(a, code, out.error);
      return run_attempts(nullptr, nullptr);
    }
    // Final: it started (the caller has seen outputs), or the instance refused the request.
    if (is_unreachable(code)) a.instance->mark_unhealthy_until(core_->now() + core_->unhealthy_cooldown);
    a.finish();
    return sink_(std::move(out));
  }

  if (!out.tokens.empty() || !out.text.empty()) {
    const Clock::time_point now = core_->now();
    const double alpha = core_->options.ewma_alpha;
    if (!a.got_first_token) {
      a.got_first_token = true;
      a.instance->observe_ttft(seconds(now - a.start), alpha);
    } else if (out.index == 0 && a.have_last_token) {
      // Seconds per token: an output may carry several (a batched HTTP chunk).
      const double num_tokens = double(std::max<size_t>(out.tokens.size(), 1));
      a.instance->observe_itl(seconds(now - a.last_token_time) / num_tokens, alpha);
    }
    if (out.index == 0) {  // ITL from choice 0 only: choices of one step arrive back to back
      a.last_token_time = now;
      a.have_last_token = true;
    }
  }
  a.forwarded_any = true;
  // Bookkeeping ends before the caller sees the final output, so the counts it may read then
  // are already down.
  if (out.finish_reason != FinishReason::kNone && ++a.num_finished >= num_choices_) a.finish();
  sink_(std::move(out));
}

void RouteHandle::cancel() {
  std::shared_ptr<Attempt> attempt;
  uint64_t worker_id = 0;
  {
    std::lock_guard lock(mu_);
    if (cancelled_) return;
    cancelled_ = true;
    // No id yet: run_attempts() cancels when generate() returns. Ended: a retry is between
    // instances and will see cancelled_ before starting the next one.
    if (!current_ || !current_->has_id || current_->ended.load()) return;
    attempt = current_;
    worker_id = attempt->worker_id;
  }
  attempt->instance->client().cancel(worker_id);
}

void RouteHandle::deliver_exhausted() {
  ErrorCode code;
  std::string message;
  {
    std::lock_guard lock(mu_);  // not held across the sink: it may call cancel()
    const std::string tried = std::to_string(tried_.size()) + " tried; last: " + last_error_;
    // All full: the caller answers 429 (come back later); otherwise 503.
    code = all_full_ ? ErrorCode::kResourceExhausted : ErrorCode::kUnavailable;
    message = all_full_ ? "every instance of model '" + model_ + "' tried is full (" + tried + ")"
                        : "no instance of model '" + model_ + "' could serve the request (" + tried + ")";
  }
  deliver_final_error(code, std::move(message));
}

void RouteHandle::deliver_final_error(ErrorCode code, std::string message) {
  RequestOutput out;
  out.finish_reason = FinishReason::kError;
  out.error_code = code;
  out.error = std::move(message);
  out.started = false;
  sink_(std::move(out));
}

void RouteHandle::deliver_abort() {
  // As an instance answers a cancel: each choice ends with a kAbort output.
  for (int32_t i = 0; i < num_choices_; ++i) {
    RequestOutput out;
    out.index = i;
    out.finish_reason = FinishReason::kAbort;
    sink_(std::move(out));
  }
}

}  // namespace turbine
