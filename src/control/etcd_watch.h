// One prefix watch on etcd: a thread that hands the first snapshot to on_snapshot, then follows
// etcd's watch stream (/v3/watch, newline-delimited JSON) from the snapshot's revision + 1.
//   - A stream that stays silent past `idle_timeout` is reopened from the last revision seen + 1:
//     nothing is missed, no new snapshot.
//   - A stream that breaks (etcd restarted or unreachable) or is cancelled (its revision was
//     compacted) is re-established with backoff (min_backoff doubling to max_backoff) and a fresh
//     snapshot, since etcd may have lost or compacted the history in between.
// Callbacks run on the watch's thread. The destructor (any thread but that one) stops it
// promptly: an exchange in progress is abandoned, a callback in progress finishes first.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "control/etcd_gateway.h"
#include "control/store.h"
#include "http/async_client.h"

namespace turbine::control {

struct EtcdWatchOptions {
  std::chrono::milliseconds call_timeout{3000};   // the snapshot's range call
  std::chrono::milliseconds idle_timeout{10000};  // a silent stream is reopened after this
  std::chrono::milliseconds min_backoff{100};
  std::chrono::milliseconds max_backoff{2000};
};

class EtcdWatch : public Watch {
 public:
  // `snapshot` as of store `revision`, read by the caller: delivered first, on the thread.
  EtcdWatch(EtcdGateway gateway, EtcdWatchOptions options, std::string prefix,
            WatchHandlers handlers, std::vector<KeyValue> snapshot, int64_t revision);
  ~EtcdWatch() override;
  EtcdWatch(const EtcdWatch&) = delete;
  EtcdWatch& operator=(const EtcdWatch&) = delete;

 private:
  enum class StreamEnd {
    kStopped,    // the destructor asked
    kIdle,       // our idle timeout on a working stream: reopen where it left off
    kBroken,     // connection refused or broken, or etcd's error: re-snapshot
    kCompacted,  // etcd cancelled the watch (revision compacted): re-snapshot
  };

  void run(std::vector<KeyValue> snapshot, int64_t revision);
  StreamEnd follow_stream();
  bool resnapshot();
  void deliver_snapshot(std::vector<KeyValue> snapshot, int64_t revision);
  // Returns false for each line that ends the stream; sets `end` then.
  bool handle_line(std::string_view line, StreamEnd& end, bool& created);
  // One exchange on client_, abandoned when the destructor stops the client.
  Result<http::ClientResponse> exchange(http::ClientRequest request,
                                        const std::function<bool(std::string_view)>& on_body);
  bool sleep_for(std::chrono::milliseconds duration);  // false: stopping

  const EtcdGateway gateway_;
  const EtcdWatchOptions options_;
  const std::string prefix_;
  const WatchHandlers handlers_;
  int64_t next_revision_ = 0;    // watch thread only: where the stream resumes
  bool stream_created_ = false;  // watch thread only: etcd accepted the latest stream

  std::mutex mu_;
  std::condition_variable wake_;
  std::atomic<bool> stopping_{false};  // written under mu_, so sleep_for never misses it
  http::AsyncClient client_;           // watch thread only, except post() from the destructor
  std::thread thread_;
};

}  // namespace turbine::control
