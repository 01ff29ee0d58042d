// The server against clients that send too much, too little, too slowly, or garbage: each
// gets its error and the server goes on serving everyone else.
#include "http/server.h"

#include <gtest/gtest.h>

#include <random>
#include <vector>

#include "http/client.h"
#include "tests/http/http_test_util.h"

namespace turbine::http {
namespace {

using namespace std::chrono_literals;
using testing::RawClient;
using testing::url_for;

std::unique_ptr<Server> start_server(ServerOptions options) {
  auto server = std::make_unique<Server>(std::move(options));
  server->route("POST", "/echo", [](Request request, Responder responder) {
    responder.respond(Response{.body = request.body});
  });
  server->route("GET", "/ok",
                [](Request, Responder responder) { responder.respond(Response{.body = "ok"}); });
  EXPECT_TRUE(server->start("127.0.0.1", 0).is_ok());
  return server;
}

void expect_served(const Server& server) {
  auto response = fetch({.url = url_for(server.port(), "/ok")});
  ASSERT_TRUE(response.is_ok()) << response.status().message();
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->body, "ok");
}

TEST(ServerLimits, BodyOverTheLimitIs413AndTheServerServesOthers) {
  ServerOptions options;
  options.max_body_bytes = 1024;
  auto server = start_server(options);

  RawClient declared(server->port());  // the content-length alone is over the limit
  ASSERT_TRUE(declared.send("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n" +
                            std::string(4000, 'a')));
  auto response = declared.read_response();
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->status, 413);
  EXPECT_EQ(response->header("connection"), "close");
  EXPECT_TRUE(declared.wait_closed());

  RawClient chunked(server->port());  // no length up front: caught as the chunks arrive
  std::string request = "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n";
  for (int i = 0; i < 3; ++i) request += "200\r\n" + std::string(512, 'b') + "\r\n";
  ASSERT_TRUE(chunked.send(request));
  response = chunked.read_response();
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->status, 413);

  expect_served(*server);
  // Exactly at the limit is fine.
  auto at_limit = fetch(
      {.method = "POST", .url = url_for(server->port(), "/echo"), .body = std::string(1024, 'c')});
  ASSERT_TRUE(at_limit.is_ok());
  EXPECT_EQ(at_limit->status, 200);
}

TEST(ServerLimits, OversizedHeadersAre431) {
  ServerOptions options;
  options.max_header_bytes = 4096;
  auto server = start_server(options);
  RawClient client(server->port());
  ASSERT_TRUE(
      client.send("GET /ok HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(10000, 'h') + "\r\n\r\n"));
  auto response = client.read_response();
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->status, 431);
  expect_served(*server);
}

TEST(ServerLimits, MalformedRequestsAre400) {
  auto server = start_server({});
  const std::vector<std::string> requests = {
      "GARBAGE\r\n\r\n",
      "GET /ok\r\n\r\n",  // no version
      "GET /ok HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n",
      "GET /ok HTTP/1.1\r\nBad Header Name: x\r\n\r\n",
      "POST /echo HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
      std::string("GET /\0ok HTTP/1.1\r\n\r\n", 21),
      "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03",  // a TLS ClientHello
  };
  for (const std::string& request : requests) {
    RawClient client(server->port());
    ASSERT_TRUE(client.send(request + "\r\n\r\n"));
    auto response = client.read_response();
    ASSERT_TRUE(response.has_value()) << request;
    EXPECT_EQ(response->status, 400) << request;
    EXPECT_TRUE(client.wait_closed()) << request;
  }
  expect_served(*server);
}

TEST(ServerLimits, SlowlorisGets408WhileOthersAreServed) {
  ServerOptions options;
  options.header_timeout = 2000ms;
  auto server = start_server(options);

  RawClient slow(server->port());
  ASSERT_TRUE(slow.send("GET /ok HTTP/1.1\r\nHost: x\r\nX-Slow: "));  // ...and stalls
  // A normal client is served while the slow one holds its connection open, and the slow one
  // has not been answered yet (its deadline is far longer than a loopback round trip).
  expect_served(*server);
  EXPECT_FALSE(slow.has_input_now());

  auto response = slow.read_response();
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->status, 408);
  EXPECT_TRUE(slow.wait_closed());
}

TEST(ServerLimits, DribblingBytesDoesNotExtendTheHeaderDeadline) {
  ServerOptions options;
  options.header_timeout = 300ms;
  auto server = start_server(options);
  RawClient slow(server->port());
  // One byte at a time, each well within the deadline, never finishing the headers.
  std::string request = "GET /ok HTTP/1.1\r\nX-Drip: " + std::string(10000, 'd');
  std::optional<testing::RawResponse> response;
  for (char c : request) {
    if (!slow.send(std::string_view(&c, 1)) || slow.has_input_now()) break;
    std::this_thread::sleep_for(5ms);  // pacing the drip, not a timing assertion
  }
  response = slow.read_response();
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->status, 408);
}

TEST(ServerLimits, SlowBodyGets408) {
  ServerOptions options;
  options.body_timeout = 300ms;
  auto server = start_server(options);
  RawClient slow(server->port());
  ASSERT_TRUE(slow.send("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nhalf"));
  auto response = slow.read_response();
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->status, 408);
  expect_served(*server);
}

TEST(ServerLimits, HalfBodyThenHalfCloseIsAnsweredAndClosed) {
  auto server = start_server({});
  RawClient client(server->port());
  ASSERT_TRUE(client.send("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n" +
                          std::string(50, 'x')));
  client.shutdown_write();
  auto response = client.read_response();
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->status, 400);
  EXPECT_TRUE(client.wait_closed());
  expect_served(*server);
}

TEST(ServerLimits, HalfHeadersThenHalfCloseIsAnsweredAndClosed) {
  auto server = start_server({});
  RawClient client(server->port());
  ASSERT_TRUE(client.send("GET /ok HTTP/1.1\r\nHo"));
  client.shutdown_write();
  auto response = client.read_response();
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->status, 400);
  EXPECT_TRUE(client.wait_closed());
}

TEST(ServerLimits, IdleKeptAliveConnectionIsClosed) {
  ServerOptions options;
  options.idle_timeout = 200ms;
  auto server = start_server(options);
  RawClient client(server->port());
  ASSERT_TRUE(client.send("GET /ok HTTP/1.1\r\nHost: x\r\n\r\n"));
  auto response = client.read_response();
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->status, 200);
  EXPECT_TRUE(client.wait_closed());  // no answer, just the close
}

TEST(ServerLimits, ConnectionsBeyondTheMaximumGet503) {
  ServerOptions options;
  options.max_connections = 2;
  auto server = start_server(options);
  RawClient first(server->port());
  RawClient second(server->port());
  // Both are served: the server has accepted them.
  for (RawClient* client : {&first, &second}) {
    ASSERT_TRUE(client->send("GET /ok HTTP/1.1\r\nHost: x\r\n\r\n"));
    auto response = client->read_response();
    ASSERT_TRUE(response.has_value());
    EXPECT_EQ(response->status, 200);
  }
  RawClient third(server->port());
  ASSERT_TRUE(third.send("GET /ok HTTP/1.1\r\nHost: x\r\n\r\n"));
  auto rejected = third.read_response();
  ASSERT_TRUE(rejected.has_value());
  EXPECT_EQ(rejected->status, 503);
  EXPECT_TRUE(third.wait_closed());

  first.close();
  // Once the server has noticed the close, there is room again.
  bool served = false;
  for (int attempt = 0; attempt < 200 && !served; ++attempt) {
    RawClient next(server->port());
    ASSERT_TRUE(next.send("GET /ok HTTP/1.1\r\nHost: x\r\n\r\n"));
    auto response = next.read_response();
    ASSERT_TRUE(response.has_value());
    served = response->status == 200;
    if (!served) std::this_thread::sleep_for(10ms);
  }
  EXPECT_TRUE(served);
}

TEST(ServerLimits, Expect100ContinueIsHonoured) {
  auto server = start_server({});
  RawClient client(server->port());
  ASSERT_TRUE(
      client.send("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n"
                  "Expect: 100-continue\r\n\r\n"));
  auto interim = client.read_response();
  ASSERT_TRUE(interim.has_value());
  EXPECT_EQ(interim->status, 100);
  ASSERT_TRUE(client.send("hello"));
  auto response = client.read_response();
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->body, "hello");
}

TEST(ServerLimits, ResetConnectionsDoNotDisturbTheServer) {
  auto server = start_server({});
  for (int i = 0; i < 20; ++i) {
    RawClient client(server->port());
    client.send("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nab");
    client.reset();
  }
  expect_served(*server);
}

TEST(ServerLimits, MangledRequestsNeverBreakTheServer) {
  ServerOptions options;
  options.max_body_bytes = 4096;
  options.max_header_bytes = 2048;
  auto server = start_server(options);
  const std::string valid =
      "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello"
      "GET /ok HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n";
  std::mt19937 rng(1234);
  for (int i = 0; i < 300; ++i) {
    std::string request = valid;
    int num_edits = 1 + static_cast<int>(rng() % 8);
    for (int e = 0; e < num_edits; ++e) {
      size_t pos = rng() % request.size();
      switch (rng() % 4) {
        case 0: request[pos] = static_cast<char>(rng()); break;                  // flip a byte
        case 1: request.erase(pos, 1 + rng() % 16); break;                       // cut
        case 2: request.insert(pos, std::string(1 + rng() % 3000, 'A')); break;  // grow
        case 3: request.insert(pos, request.substr(rng() % request.size(), 40)); break;
      }
      if (request.empty()) request = "x";
    }
    RawClient client(server->port());
    ASSERT_TRUE(client.connected());
    client.send(request);
    client.shutdown_write();  // whatever is incomplete, the server learns there is no more
    EXPECT_TRUE(client.wait_closed()) << "input " << i;
  }
  expect_served(*server);
}

}  // namespace
}  // namespace turbine::http
