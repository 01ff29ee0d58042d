// The event-loop client: many streams on one thread, kept-alive connections reused (and
// replaced when the server closed them), abandoning a stream, transport errors, timers.
#include "http/async_client.h"

#include <gtest/gtest.h>

#include <unistd.h>

#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "http/server.h"
#include "http/sse.h"
#include "tests/http/http_test_util.h"

namespace turbine::http {
namespace {

using namespace std::chrono_literals;
using testing::Notification;
using testing::url_for;

// Streams `num_events` SSE events from a thread of its own per request, so many streams are
// open at once and interleave on the wire.
class StreamingServer {
 public:
  explicit StreamingServer(int num_events, ServerOptions options = {}) : server_(options) {
    server_.route("POST", "/stream", [this, num_events](Request, Responder responder) {
      auto stream = responder.start_stream(200, kSseContentType, sse_headers());
      std::lock_guard lock(mu_);
      producers_.emplace_back([stream, num_events] {
        for (int i = 0; i < num_events; ++i) {
          stream->write(sse_event(std::to_string(i)));
          if (i % 8 == 0) std::this_thread::sleep_for(1ms);
        }
        stream->finish();
      });
    });
    server_.route("GET", "/hello", [](Request, Responder responder) {
      responder.respond({.content_type = "text/plain", .body = "hello"});
    });
    server_.route("POST", "/forever", [this](Request, Responder responder) {
      responder.on_disconnect([this] { disconnected.notify(); });
      auto stream = responder.start_stream(200, kSseContentType, sse_headers());
      stream->write(sse_event("first"));
      std::lock_guard lock(mu_);
      kept_.push_back(std::move(stream));  // never finished: only the client can end it
    });
    EXPECT_TRUE(server_.start("127.0.0.1", 0).is_ok());
  }
  ~StreamingServer() {
    server_.stop();
    std::lock_guard lock(mu_);
    for (auto& t : producers_) t.join();
  }
  std::string url(const std::string& path) const { return url_for(server_.port(), path); }
  Notification disconnected;

 private:
  Server server_;
  std::mutex mu_;
  std::vector<std::thread> producers_;
  std::vector<std::shared_ptr<ResponseStream>> kept_;
};

TEST(AsyncClient, ManyStreamsAtOnceOnOneThread) {
  constexpr int kStreams = 32, kEvents = 200;
  StreamingServer server(kEvents);
  AsyncClient client;
  struct Seen {
    int status = 0;
    SseParser parser;
    std::vector<std::string> events;
    bool done = false;
    Status status_at_end;
  };
  std::vector<Seen> seen(kStreams);
  const auto loop_thread = std::this_thread::get_id();
  std::atomic<int> off_loop{0};
  for (int i = 0; i < kStreams; ++i) {
    Seen& s = seen[i];
    client.start({.method = "POST", .url = server.url("/stream"), .body = "{}"},
                 {.on_head = [&s](int status, const Headers&) { s.status = status; },
                  .on_body =
                      [&](std::string_view piece) {
                        if (std::this_thread::get_id() != loop_thread) ++off_loop;
                        for (auto& e : s.parser.feed(piece)) s.events.push_back(e.data);
                        return true;
                      },
                  .on_done =
                      [&s](Status status) {
                        s.done = true;
                        s.status_at_end = status;
                      }});
  }
  EXPECT_EQ(client.num_in_flight(), size_t(kStreams));
  client.run();
  EXPECT_EQ(client.num_in_flight(), 0u);
  EXPECT_EQ(off_loop, 0);
  for (const Seen& s : seen) {
    ASSERT_TRUE(s.done);
    EXPECT_TRUE(s.status_at_end.is_ok()) << s.status_at_end.message();
    EXPECT_EQ(s.status, 200);
    ASSERT_EQ(s.events.size(), size_t(kEvents));
    for (int e = 0; e < kEvents; ++e) EXPECT_EQ(s.events[e], std::to_string(e));
  }
  // Every stream was in flight at once, so each had a connection of its own.
  EXPECT_EQ(client.stats().connections_opened, uint64_t(kStreams));
}

TEST(AsyncClient, ReusesKeptAliveConnections) {
  StreamingServer server(10);
  AsyncClient client;
  int num_done = 0;
  std::string last_body;
  std::function<void()> next = [&] {
    client.start({.url = server.url("/hello")},
                 {.on_body = [&](std::string_view piece) { last_body.append(piece); return true; },
                  .on_done =
                      [&](Status status) {
                        EXPECT_TRUE(status.is_ok()) << status.message();
                        if (++num_done < 10) {
                          last_body.clear();
                          next();
                        }
                      }});
  };
  next();
  client.run();
  EXPECT_EQ(num_done, 10);
  EXPECT_EQ(last_body, "hello");
  EXPECT_EQ(client.stats().connections_opened, 1u);
  EXPECT_EQ(client.stats().connections_reused, 9u);
}

TEST(AsyncClient, ResendsOnceWhenTheServerClosedAnIdleConnection) {
  ServerOptions options;
  options.idle_timeout = 50ms;  // the server drops the kept-alive connection between requests
  StreamingServer server(10, options);
  AsyncClient client;
  std::vector<Status> results;
  client.start({.url = server.url("/hello")},
               {.on_done = [&](Status status) {
                  results.push_back(status);
                  client.post_at(std::chrono::steady_clock::now() + 400ms, [&] {
                    client.start({.url = server.url("/hello")},
                                 {.on_done = [&](Status s) { results.push_back(s); }});
                  });
                }});
  client.run();
  ASSERT_EQ(results.size(), 2u);
  EXPECT_TRUE(results[0].is_ok()) << results[0].message();
  EXPECT_TRUE(results[1].is_ok()) << results[1].message();
  EXPECT_EQ(client.stats().connections_reused, 1u);
  EXPECT_EQ(client.stats().retries, 1u);
  EXPECT_EQ(client.stats().connections_opened, 2u);
}

TEST(AsyncClient, AbandoningAStreamClosesItsConnection) {
  StreamingServer server(0);
  AsyncClient client;
  std::string got;
  Status result = io_error("not done");
  client.start({.method = "POST", .url = server.url("/forever"), .body = "{}"},
               {.on_body =
                    [&](std::string_view piece) {
                      got.append(piece);
                      return false;
                    },
                .on_done = [&](Status s) { result = s; }});
  client.run();  // returns: the stream that never ends was abandoned
  EXPECT_TRUE(result.is_ok()) << result.message();
  EXPECT_NE(got.find("first"), std::string::npos);
  EXPECT_TRUE(server.disconnected.wait());
}

TEST(AsyncClient, TransportErrorsReachOnDone) {
  AsyncClient client;
  Status refused, bad_url;
  client.start({.url = url_for(testing::refused_port(), "/")}, {.on_done = [&](Status s) { refused = s; }});
  client.start({.url = "https://127.0.0.1/"}, {.on_done = [&](Status s) { bad_url = s; }});
  client.run();
  ASSERT_FALSE(refused.is_ok());
  EXPECT_NE(refused.message().find("cannot connect"), std::string::npos) << refused.message();
  EXPECT_EQ(refused.code(), ErrorCode::kUnavailable);
  EXPECT_EQ(bad_url.code(), ErrorCode::kInvalidArgument);
}

TEST(AsyncClient, SilentServerTimesOut) {
  testing::SilentListener silent;
  AsyncClient client;
  Status result;
  client.start({.url = url_for(silent.port(), "/"), .timeout = 200ms},
               {.on_done = [&](Status s) { result = s; }});
  client.run();
  ASSERT_FALSE(result.is_ok());
  EXPECT_NE(result.message().find("timed out"), std::string::npos) << result.message();
  EXPECT_EQ(result.code(), ErrorCode::kDeadlineExceeded);
}

TEST(AsyncClient, TimersRunInTimeOrderAndPostWorksFromOtherThreads) {
  AsyncClient client;
  std::vector<int> order;
  auto now = std::chrono::steady_clock::now();
  client.post_at(now + 30ms, [&] { order.push_back(3); });
  client.post_at(now + 10ms, [&] { order.push_back(1); });
  client.post_at(now + 20ms, [&] { order.push_back(2); });
  std::thread other([&] { client.post([&] { order.push_back(0); }); });
  other.join();
  client.run();
  EXPECT_EQ(order, (std::vector<int>{0, 1, 2, 3}));
}

}  // namespace
}  // namespace turbine::http
