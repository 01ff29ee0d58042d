#include "http/exchange.h"

#include <utility>

namespace turbine::http::detail {

Exchange::Exchange(std::shared_ptr<ExchangeSink> sink, ExchangeParams params)
    : params_(std::move(params)), sink_(std::move(sink)) {}

void Exchange::queue_locked(std::string bytes, bool complete) {
  num_unsent_bytes_ += bytes.size();
  outbox_ += bytes;
  if (complete) output_complete_ = true;
  if (!flush_posted_ && sink_) {
    flush_posted_ = true;
    sink_->post_flush(shared_from_this());
  }
}

bool Exchange::respond(Response response) {
  std::lock_guard lock(mu_);
  if (state_ != State::kWaiting || lost_) return false;
  state_ = State::kComplete;
  bool has_body = status_has_body(response.status);
  std::string bytes =
      serialize_head(response.status, response.content_type, response.headers,
                     Framing::kContentLength, response.body.size(), params_.keep_alive);
  if (has_body && !params_.head_request) bytes += response.body;
  queue_locked(std::move(bytes), /*complete=*/true);
  return true;
}

bool Exchange::start_stream(int status, std::string_view content_type, const Headers& headers) {
  std::lock_guard lock(mu_);
  if (state_ != State::kWaiting || lost_) return false;
  Framing framing = params_.http10 ? Framing::kUntilClose : Framing::kChunked;
  bool keep_alive = params_.keep_alive && !params_.http10;
  std::string head = serialize_head(status, content_type, headers, framing, 0, keep_alive);
  if (params_.head_request || !status_has_body(status)) {
    // No body may follow: the headers are the whole response.
    state_ = State::kComplete;
    queue_locked(std::move(head), /*complete=*/true);
    return true;
  }
  state_ = State::kStreaming;
  until_close_ = framing == Framing::kUntilClose;
  queue_locked(std::move(head), /*complete=*/false);
  return true;
}

bool Exchange::write(std::string_view chunk) {
  std::lock_guard lock(mu_);
  if (state_ != State::kStreaming || lost_ || aborted_) return false;
  if (chunk.empty()) return true;
  if (params_.max_unsent_bytes > 0 && num_unsent_bytes_ + chunk.size() > params_.max_unsent_bytes) {
    // The client reads slower than we produce, or not at all: give up on it rather than
    // buffer without bound.
    aborted_ = true;
    if (sink_) sink_->post_abort();
    return false;
  }
  queue_locked(params_.http10 ? std::string(chunk) : encode_chunk(chunk), /*complete=*/false);
  return true;
}

void Exchange::finish() {
  std::lock_guard lock(mu_);
  if (state_ != State::kStreaming) return;
  state_ = State::kComplete;
  if (lost_ || aborted_) return;
  queue_locked(params_.http10 ? std::string() : std::string(kLastChunk), /*complete=*/true);
}

bool Exchange::stream_closed() const {
  std::lock_guard lock(mu_);
  return lost_ || aborted_ || state_ != State::kStreaming;
}

bool Exchange::lost() const {
  std::lock_guard lock(mu_);
  return lost_ || aborted_;
}

bool Exchange::keep_alive() const {
  std::lock_guard lock(mu_);
  return params_.keep_alive && !until_close_;
}

bool Exchange::answered() const {
  std::lock_guard lock(mu_);
  return state_ != State::kWaiting;
}

void Exchange::set_on_disconnect(std::function<void()> fn) {
  {
    std::lock_guard lock(mu_);
    if (!lost_) {
      on_disconnect_ = std::move(fn);
      return;
    }
    if (state_ == State::kComplete) return;
  }
  if (fn) fn();  // already lost: run it here, outside the lock
}

void Exchange::respond_internal_error(std::string_view message) {
  Response response = params_.error_body ? (*params_.error_body)(500, message)
                                         : default_error_response(500, message);
  response.status = 500;
  respond(std::move(response));
}

Exchange::Output Exchange::take_output() {
  std::lock_guard lock(mu_);
  flush_posted_ = false;
  Output out{std::move(outbox_), output_complete_};
  outbox_.clear();
  output_complete_ = false;
  return out;
}

void Exchange::on_sent(size_t num_bytes) {
  std::lock_guard lock(mu_);
  num_unsent_bytes_ = num_bytes > num_unsent_bytes_ ? 0 : num_unsent_bytes_ - num_bytes;
}

void Exchange::connection_lost() {
  std::function<void()> fn;
  {
    std::lock_guard lock(mu_);
    if (lost_) return;
    lost_ = true;
    sink_.reset();
    outbox_.clear();
    if (state_ != State::kComplete) fn = std::move(on_disconnect_);
    on_disconnect_ = nullptr;
  }
  if (fn) fn();
}

void Exchange::detach() {
  std::lock_guard lock(mu_);
  sink_.reset();
  on_disconnect_ = nullptr;
}

}  // namespace turbine::http::detail
