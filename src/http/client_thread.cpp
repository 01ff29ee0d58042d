#include "http/client_thread.h"

namespace turbine::http {

ClientThread::ClientThread()
    : client_(std::make_unique<AsyncClient>([] {
        AsyncClient::Options o;
        o.run_until_stopped = true;
        return o;
      }())),
      thread_([c = client_.get()] { c->run(); }) {}

ClientThread::~ClientThread() {
  // Stopped from inside the loop: a stop() before the thread reached run() would be undone by
  // run()'s restart, while a posted call waits for the loop whenever it starts.
  if (std::this_thread::get_id() == thread_.get_id()) {
    client_->stop();
    (void)client_.release();  // still running under us: leaked, not destroyed
    thread_.detach();
    return;
  }
  client_->post([c = client_.get()] { c->stop(); });
  thread_.join();
}

}  // namespace turbine::http
