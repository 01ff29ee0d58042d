#include "http/client_thread.h"

namespace turbine::http {

ClientThread::ClientThread()
    : client_([] {
        AsyncClient::Options o;
        o.run_until_stopped = true;
        return o;
      }()),
      thread_([this] { client_.run(); }) {}

ClientThread::~ClientThread() {
  client_.stop();
  thread_.join();
}

}  // namespace turbine::http
