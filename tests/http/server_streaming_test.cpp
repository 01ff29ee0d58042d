// Answers from other threads: streams, disconnect notice, dropped responders, many
// connections at once, and stopping with work in flight.
#include "http/server.h"

#include <gtest/gtest.h>

#include <atomic>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "http/client.h"
#include "http/sse.h"
#include "tests/http/http_test_util.h"

namespace turbine::http {
namespace {

using namespace std::chrono_literals;
using testing::Notification;
using testing::RawClient;
using testing::url_for;

// Holds what a handler handed over, for the test thread to use.
struct Handoff {
  std::mutex mu;
  std::vector<Responder> responders;
  std::shared_ptr<ResponseStream> stream;
  Notification arrived;
  Notification disconnected;
  std::atomic<int> num_disconnects{0};
};

TEST(ServerStreaming, WritesFromAnotherThreadArriveInOrderAndIncrementally) {
  Server server;
  Notification client_saw_first;
  std::atomic<bool> handshake_ok{false};
  std::mutex producer_mu;
  std::thread producer;
  server.route("POST", "/stream", [&](Request, Responder responder) {
    auto stream = responder.start_stream(200, kSseContentType, sse_headers());
    std::lock_guard lock(producer_mu);
    producer = std::thread([stream, &client_saw_first, &handshake_ok] {
      stream->write(sse_event("first"));
      // The rest is written only once the client has seen the first event: if the server
      // held chunks back until the end, this would never happen.
      handshake_ok = client_saw_first.wait();
      for (int i = 0; i < 100; ++i) stream->write(sse_event("event " + std::to_string(i)));
      stream->write(sse_event("[DONE]"));
      stream->finish();
    });
  });
  ASSERT_TRUE(server.start("127.0.0.1", 0).is_ok());

  SseParser parser;
  std::vector<std::string> events;
  auto response =
      fetch_stream({.method = "POST", .url = url_for(server.port(), "/stream"), .body = "{}"},
                   [&](std::string_view chunk) {
                     for (auto& event : parser.feed(chunk)) {
                       events.push_back(event.data);
                       if (event.data == "first") client_saw_first.notify();
                     }
                     return true;
                   });
  {
    std::lock_guard lock(producer_mu);
    producer.join();
  }
  ASSERT_TRUE(response.is_ok()) << response.status().message();
  EXPECT_TRUE(handshake_ok);
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->header("content-type"), "text/event-stream");
  EXPECT_EQ(response->header("cache-control"), "no-cache");
  EXPECT_EQ(response->header("transfer-encoding"), "chunked");
  ASSERT_EQ(events.size(), 102u);
  EXPECT_EQ(events.front(), "first");
  for (int i = 0; i < 100; ++i) EXPECT_EQ(events[i + 1], "event " + std::to_string(i));
  EXPECT_EQ(events.back(), "[DONE]");
}

TEST(ServerStreaming, KeepAliveContinuesAfterAStream) {
  Server server;
  server.route("GET", "/stream", [](Request, Responder responder) {
    auto stream = responder.start_stream(200, "text/plain");
    stream->write("a");
    stream->write("");  // sends nothing (an empty chunk would end the body)
    stream->write("b");
    // finish() by the stream's destructor
  });
  ASSERT_TRUE(server.start("127.0.0.1", 0).is_ok());
  RawClient client(server.port());
  for (int i = 0; i < 2; ++i) {
    ASSERT_TRUE(client.send("GET /stream HTTP/1.1\r\nHost: x\r\n\r\n"));
    auto response = client.read_response();
    ASSERT_TRUE(response.has_value());
    EXPECT_EQ(response->body, "ab");
  }
}

TEST(ServerStreaming, Http10StreamEndsWithTheConnection) {
  Server server;
  server.route("GET", "/stream", [](Request, Responder responder) {
    auto stream = responder.start_stream(200, "text/plain");
    stream->write("one ");
    stream->write("two");
  });
  ASSERT_TRUE(server.start("127.0.0.1", 0).is_ok());
  RawClient client(server.port());
  ASSERT_TRUE(client.send("GET /stream HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"));
  auto response = client.read_response();  // no length, not chunked: reads to the close
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->body, "one two");
  EXPECT_FALSE(response->header("transfer-encoding").has_value());
}

TEST(ServerStreaming, ClientLeavingMidStreamFiresOnDisconnectAndWriteFails) {
  Server server;
  Handoff handoff;
  server.route("GET", "/stream", [&](Request, Responder responder) {
    responder.on_disconnect([&] {
      ++handoff.num_disconnects;
      handoff.disconnected.notify();
    });
    auto stream = responder.start_stream(200, kSseContentType, sse_headers());
    stream->write(sse_event("hello"));
    std::lock_guard lock(handoff.mu);
    handoff.stream = stream;
    handoff.responders.push_back(std::move(responder));
  });
  ASSERT_TRUE(server.start("127.0.0.1", 0).is_ok());

  int num_chunks = 0;
  auto response = fetch_stream({.url = url_for(server.port(), "/stream")}, [&](std::string_view) {
    ++num_chunks;
    return false;  // leave after the first bytes
  });
  ASSERT_TRUE(response.is_ok()) << response.status().message();
  EXPECT_EQ(num_chunks, 1);
  ASSERT_TRUE(handoff.disconnected.wait());
  std::shared_ptr<ResponseStream> stream;
  {
    std::lock_guard lock(handoff.mu);
    stream = handoff.stream;
    EXPECT_TRUE(handoff.responders.at(0).client_gone());
  }
  EXPECT_TRUE(stream->closed());
  EXPECT_FALSE(stream->write(sse_event("anyone there?")));
  stream->finish();
  EXPECT_EQ(handoff.num_disconnects, 1);
}

// A client that closes (FIN) or resets (RST) while its request waits for an answer.
void expect_disconnect_while_pending(bool reset) {
  Server server;
  Handoff handoff;
  server.route("POST", "/slow", [&](Request, Responder responder) {
    responder.on_disconnect([&] {
      ++handoff.num_disconnects;
      handoff.disconnected.notify();
    });
    std::lock_guard lock(handoff.mu);
    handoff.responders.push_back(std::move(responder));  // to be answered "later"
    handoff.arrived.notify();
  });
  ASSERT_TRUE(server.start("127.0.0.1", 0).is_ok());

  RawClient client(server.port());
  ASSERT_TRUE(client.send("POST /slow HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}"));
  ASSERT_TRUE(handoff.arrived.wait());
  if (reset) {
    client.reset();
  } else {
    client.close();
  }
  ASSERT_TRUE(handoff.disconnected.wait());
  std::lock_guard lock(handoff.mu);
  Responder& responder = handoff.responders.at(0);
  EXPECT_TRUE(responder.client_gone());
  responder.respond(Response{.body = "too late"});  // dropped, harmlessly
  EXPECT_EQ(handoff.num_disconnects, 1);
}

TEST(ServerStreaming, ClientClosingWhileARequestIsPendingFiresOnDisconnect) {
  expect_disconnect_while_pending(/*reset=*/false);
}

TEST(ServerStreaming, ClientResettingWhileARequestIsPendingFiresOnDisconnect) {
  expect_disconnect_while_pending(/*reset=*/true);
}

TEST(ServerStreaming, OnDisconnectDoesNotFireAfterTheAnswer) {
  Server server;
  std::atomic<int> num_disconnects{0};
  server.route("GET", "/x", [&](Request, Responder responder) {
    responder.on_disconnect([&] { ++num_disconnects; });
    responder.respond(Response{.body = "done"});
  });
  ASSERT_TRUE(server.start("127.0.0.1", 0).is_ok());
  {
    RawClient client(server.port());
    ASSERT_TRUE(client.send("GET /x HTTP/1.1\r\nHost: x\r\n\r\n"));
    ASSERT_TRUE(client.read_response().has_value());
  }  // closes
  // The server notices the close; the callback must stay silent.
  for (int i = 0; i < 500 && server.num_connections() > 0; ++i) std::this_thread::sleep_for(2ms);
  EXPECT_EQ(server.num_connections(), 0u);
  EXPECT_EQ(num_disconnects, 0);
}

TEST(ServerStreaming, OnDisconnectRegisteredAfterTheClientLeftRunsAtOnce) {
  Server server;
  Handoff handoff;
  server.route("GET", "/x", [&](Request, Responder responder) {
    std::lock_guard lock(handoff.mu);
    handoff.responders.push_back(std::move(responder));
    handoff.arrived.notify();
  });
  ASSERT_TRUE(server.start("127.0.0.1", 0).is_ok());
  RawClient client(server.port());
  ASSERT_TRUE(client.send("GET /x HTTP/1.1\r\nHost: x\r\n\r\n"));
  ASSERT_TRUE(handoff.arrived.wait());
  client.close();
  for (int i = 0; i < 500 && server.num_connections() > 0; ++i) std::this_thread::sleep_for(2ms);
  std::lock_guard lock(handoff.mu);
  ASSERT_TRUE(handoff.responders[0].client_gone());
  bool ran = false;
  handoff.responders[0].on_disconnect([&] { ran = true; });
  EXPECT_TRUE(ran);
}

TEST(ServerStreaming, DroppedResponderAnswers500) {
  Server server;
  server.route("GET", "/drop", [](Request, Responder) {});
  server.route("GET", "/drop-later", [](Request, Responder responder) {
    std::thread([responder = std::move(responder)] {}).detach();
  });
  server.route("GET", "/throw", [](Request, Responder) { throw std::runtime_error("boom"); });
  ASSERT_TRUE(server.start("127.0.0.1", 0).is_ok());
  for (const char* path : {"/drop", "/drop-later", "/throw"}) {
    auto response = fetch({.url = url_for(server.port(), path)});
    ASSERT_TRUE(response.is_ok()) << path;
    EXPECT_EQ(response->status, 500) << path;
    EXPECT_NE(response->body.find("\"error\""), std::string::npos) << path;
  }
}

TEST(ServerStreaming, SecondAnswerIsIgnored) {
  Server server;
  server.route("GET", "/twice", [](Request, Responder responder) {
    responder.respond(Response{.body = "first"});
    responder.respond(Response{.body = "second"});
    auto stream = responder.start_stream(200, "text/plain");
    EXPECT_TRUE(stream->closed());
    EXPECT_FALSE(stream->write("third"));
  });
  ASSERT_TRUE(server.start("127.0.0.1", 0).is_ok());
  RawClient client(server.port());
  ASSERT_TRUE(
      client.send("GET /twice HTTP/1.1\r\nHost: x\r\n\r\nGET /twice HTTP/1.1\r\nHost: x\r\n\r\n"));
  for (int i = 0; i < 2; ++i) {
    auto response = client.read_response();
    ASSERT_TRUE(response.has_value());
    EXPECT_EQ(response->body, "first");
  }
}

TEST(ServerStreaming, StreamToAClientThatStopsReadingIsAborted) {
  ServerOptions options;
  options.max_unsent_bytes = 64 * 1024;
  Server server(options);
  Handoff handoff;
  server.route("GET", "/flood", [&](Request, Responder responder) {
    responder.on_disconnect([&] { handoff.disconnected.notify(); });
    auto stream = responder.start_stream(200, "text/plain");
    std::lock_guard lock(handoff.mu);
    handoff.stream = stream;
    handoff.arrived.notify();
  });
  ASSERT_TRUE(server.start("127.0.0.1", 0).is_ok());
  RawClient client(server.port());  // sends a request and never reads
  ASSERT_TRUE(client.send("GET /flood HTTP/1.1\r\nHost: x\r\n\r\n"));
  ASSERT_TRUE(handoff.arrived.wait());
  std::shared_ptr<ResponseStream> stream;
  {
    std::lock_guard lock(handoff.mu);
    stream = handoff.stream;
  }
  // The kernel's socket buffers take some megabytes first; then the unsent bytes pile up.
  std::string chunk(16 * 1024, 'z');
  size_t num_written = 0;
  while (stream->write(chunk) && num_written < (1u << 30)) num_written += chunk.size();
  EXPECT_LT(num_written, 1u << 30);
  EXPECT_TRUE(stream->closed());
  EXPECT_TRUE(handoff.disconnected.wait());
}

TEST(ServerStreaming, ManyConcurrentConnectionsAreAllAnswered) {
  constexpr int kNumClients = 200;
  Server server(ServerOptions{.num_threads = 4});
  Handoff handoff;
  // Nobody is answered until all requests are in: they are all open at once.
  server.route("GET", "/gather", [&](Request request, Responder responder) {
    std::vector<Responder> ready;
    {
      std::lock_guard lock(handoff.mu);
      handoff.responders.push_back(std::move(responder));
      if (handoff.responders.size() < kNumClients) return;
      ready.swap(handoff.responders);
    }
    std::thread([ready = std::move(ready)]() mutable {
      for (size_t i = 0; i < ready.size(); ++i) ready[i].respond(Response{.body = "answered"});
    }).detach();
  });
  ASSERT_TRUE(server.start("127.0.0.1", 0).is_ok());

  std::vector<std::unique_ptr<RawClient>> clients;
  for (int i = 0; i < kNumClients; ++i) {
    clients.push_back(std::make_unique<RawClient>(server.port()));
    ASSERT_TRUE(clients.back()->connected()) << i;
    ASSERT_TRUE(clients.back()->send("GET /gather HTTP/1.1\r\nHost: x\r\n\r\n")) << i;
  }
  int num_answered = 0;
  for (auto& client : clients) {
    auto response = client->read_response();
    if (response && response->status == 200 && response->body == "answered") ++num_answered;
  }
  EXPECT_EQ(num_answered, kNumClients);
}

TEST(ServerStreaming, StopWithOpenConnectionsReturnsAndLateAnswersAreHarmless) {
  auto server = std::make_unique<Server>(ServerOptions{.num_threads = 2});
  Handoff handoff;
  server->route("GET", "/pending", [&](Request, Responder responder) {
    responder.on_disconnect([&] { ++handoff.num_disconnects; });
    std::lock_guard lock(handoff.mu);
    handoff.responders.push_back(std::move(responder));
    handoff.arrived.notify();
  });
  Notification stream_started;
  server->route("GET", "/stream", [&](Request, Responder responder) {
    auto stream = responder.start_stream(200, "text/plain");
    stream->write("partial");
    std::lock_guard lock(handoff.mu);
    handoff.stream = stream;
    stream_started.notify();
  });
  ASSERT_TRUE(server->start("127.0.0.1", 0).is_ok());

  RawClient idle(server->port());
  RawClient half_sent(server->port());
  ASSERT_TRUE(half_sent.send("GET /pending HTTP/1.1\r\nHo"));
  RawClient pending(server->port());
  ASSERT_TRUE(pending.send("GET /pending HTTP/1.1\r\nHost: x\r\n\r\n"));
  RawClient streaming(server->port());
  ASSERT_TRUE(streaming.send("GET /stream HTTP/1.1\r\nHost: x\r\n\r\n"));
  ASSERT_TRUE(handoff.arrived.wait());
  ASSERT_TRUE(stream_started.wait());

  server->stop();
  EXPECT_EQ(server->num_connections(), 0u);
  EXPECT_EQ(handoff.num_disconnects, 1);  // the pending request heard the server go
  for (RawClient* client : {&idle, &half_sent, &pending, &streaming})
    EXPECT_TRUE(client->wait_closed());
  server.reset();

  // Answers after the server is gone are dropped, not crashes.
  std::lock_guard lock(handoff.mu);
  EXPECT_FALSE(handoff.stream->write("more"));
  handoff.stream->finish();
  handoff.responders.at(0).respond(Response{.body = "late"});
}

}  // namespace
}  // namespace turbine::http
