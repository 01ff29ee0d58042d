#include "http/responder.h"

#include <utility>

#include "http/exchange.h"

namespace turbine::http {

ResponseStream::ResponseStream(std::shared_ptr<detail::Exchange> exchange)
    : exchange_(std::move(exchange)) {}

ResponseStream::~ResponseStream() { finish(); }

bool ResponseStream::write(std::string chunk) { return exchange_ && exchange_->write(chunk); }

void ResponseStream::finish() {
  if (exchange_) exchange_->finish();
}

bool ResponseStream::closed() const { return !exchange_ || exchange_->stream_closed(); }

Responder::Responder(std::shared_ptr<detail::Exchange> exchange) : exchange_(std::move(exchange)) {}

Responder::~Responder() {
  if (exchange_ && !exchange_->answered()) {
    exchange_->respond_internal_error("the server dropped the request without answering");
  }
}

Responder& Responder::operator=(Responder&& other) noexcept {
  if (this != &other) {
    Responder dropped(std::move(*this));  // answers 500 if it still owed an answer
    exchange_ = std::move(other.exchange_);
  }
  return *this;
}

void Responder::respond(Response response) {
  if (exchange_) exchange_->respond(std::move(response));
}

std::shared_ptr<ResponseStream> Responder::start_stream(int status, std::string_view content_type,
                                                        Headers headers) {
  if (!exchange_) return std::make_shared<ResponseStream>(nullptr);
  if (!exchange_->start_stream(status, content_type, headers)) {
    return std::make_shared<ResponseStream>(nullptr);
  }
  return std::make_shared<ResponseStream>(exchange_);
}

void Responder::on_disconnect(std::function<void()> fn) {
  if (exchange_) exchange_->set_on_disconnect(std::move(fn));
}

bool Responder::client_gone() const { return exchange_ && exchange_->lost(); }

}  // namespace turbine::http
