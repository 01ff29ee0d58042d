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
  // Stopped from inside the loop: a stop() before the thread reached run() would be undone by
  // run()'s restart, while a posted call waits for the loop whenever it starts.
  client_.post([this] { client_.stop(); });
  thread_.join();
}

}  // namespace turbine::http
