// The server's ordinary work: routing, keep-alive, pipelining, error answers.
#include "http/server.h"

#include <gtest/gtest.h>

#include <thread>

#include "http/client.h"
#include "tests/http/http_test_util.h"

namespace turbine::http {
namespace {

using testing::RawClient;
using testing::url_for;

// A server on an ephemeral loopback port with an echo route and a hello route.
std::unique_ptr<Server> start_echo_server(ServerOptions options = {}) {
  auto server = std::make_unique<Server>(std::move(options));
  server->route("GET", "/hello", [](Request request, Responder responder) {
    Response response;
    response.content_type = "text/plain";
    response.body = "hello " + request.query;
    responder.respond(std::move(response));
  });
  server->route("POST", "/echo", [](Request request, Responder responder) {
    Response response;
    response.body = request.body;
    response.headers.emplace_back("x-method", request.method);
    response.headers.emplace_back("x-path", request.path);
    response.headers.emplace_back("x-test-header",
                                  std::string(request.header("X-Test").value_or("")));
    response.headers.emplace_back("x-remote-set", request.remote.empty() ? "no" : "yes");
    responder.respond(std::move(response));
  });
  Status status = server->start("127.0.0.1", 0);
  EXPECT_TRUE(status.is_ok()) << status.message();
  return server;
}

TEST(Server, GetAndPostRoundTrip) {
  auto server = start_echo_server();
  ASSERT_NE(server->port(), 0);

  auto get = fetch({.url = url_for(server->port(), "/hello?name=x")});
  ASSERT_TRUE(get.is_ok()) << get.status().message();
  EXPECT_EQ(get->status, 200);
  EXPECT_EQ(get->body, "hello name=x");
  EXPECT_EQ(get->header("content-type"), "text/plain");

  ClientRequest post{.method = "POST",
                     .url = url_for(server->port(), "/echo?q=1"),
                     .headers = {{"X-Test", "value"}},
                     .body = "{\"prompt\":\"hi\"}"};
  auto echoed = fetch(post);
  ASSERT_TRUE(echoed.is_ok()) << echoed.status().message();
  EXPECT_EQ(echoed->status, 200);
  EXPECT_EQ(echoed->body, post.body);
  EXPECT_EQ(echoed->header("x-method"), "POST");
  EXPECT_EQ(echoed->header("x-path"), "/echo");
  EXPECT_EQ(echoed->header("x-test-header"), "value");  // lookup ignores case
  EXPECT_EQ(echoed->header("x-remote-set"), "yes");
  EXPECT_EQ(echoed->header("content-type"), "application/json");
}

TEST(Server, KeepAliveServesSeveralRequestsOnOneConnection) {
  auto server = start_echo_server();
  RawClient client(server->port());
  ASSERT_TRUE(client.connected());
  for (int i = 0; i < 3; ++i) {
    std::string body = "request " + std::to_string(i);
    ASSERT_TRUE(client.send("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: " +
                            std::to_string(body.size()) + "\r\n\r\n" + body));
    auto response = client.read_response();
    ASSERT_TRUE(response.has_value()) << "request " << i;
    EXPECT_EQ(response->status, 200);
    EXPECT_EQ(response->body, body);
    EXPECT_EQ(response->header("connection"), "keep-alive");
  }
  EXPECT_EQ(server->num_connections(), 1u);
}

TEST(Server, PipelinedRequestsAreAnsweredInOrder) {
  auto server = std::make_unique<Server>();
  // Answers from another thread, so each answer arrives after the next request was read.
  server->route("POST", "/later", [](Request request, Responder responder) {
    std::thread([request = std::move(request), responder = std::move(responder)]() mutable {
      responder.respond(Response{.body = request.body});
    }).detach();
  });
  ASSERT_TRUE(server->start("127.0.0.1", 0).is_ok());

  RawClient client(server->port());
  std::string pipeline;
  for (int i = 0; i < 5; ++i) {
    std::string body = "body-" + std::to_string(i);
    pipeline +=
        "\r\nPOST /later HTTP/1.1\r\nHost: x\r\nContent-Length: " + std::to_string(body.size()) +
        "\r\n\r\n" + body;
  }
  pipeline += "GET /missing HTTP/1.1\r\nHost: x\r\n\r\n";
  ASSERT_TRUE(client.send(pipeline));  // in one write: the server gets them all at once
  for (int i = 0; i < 5; ++i) {
    auto response = client.read_response();
    ASSERT_TRUE(response.has_value()) << i;
    EXPECT_EQ(response->body, "body-" + std::to_string(i));
  }
  auto last = client.read_response();
  ASSERT_TRUE(last.has_value());
  EXPECT_EQ(last->status, 404);
}

TEST(Server, ChunkedRequestBodyIsDecoded) {
  auto server = start_echo_server();
  RawClient client(server->port());
  ASSERT_TRUE(
      client.send("POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                  "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n"));
  auto response = client.read_response();
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->body, "hello world");
}

TEST(Server, UnknownPathIs404AndWrongMethodIs405) {
  auto server = start_echo_server();
  auto missing = fetch({.url = url_for(server->port(), "/nope")});
  ASSERT_TRUE(missing.is_ok());
  EXPECT_EQ(missing->status, 404);
  EXPECT_NE(missing->body.find("\"error\""), std::string::npos);
  EXPECT_NE(missing->body.find("/nope"), std::string::npos);

  auto wrong = fetch({.method = "DELETE", .url = url_for(server->port(), "/echo")});
  ASSERT_TRUE(wrong.is_ok());
  EXPECT_EQ(wrong->status, 405);
  EXPECT_EQ(wrong->header("allow"), "POST");
}

TEST(Server, ErrorFormatterShapesErrorsTheServerMakes) {
  ServerOptions options;
  options.error_body = [](int status, std::string_view message) {
    Response response;
    response.status = 999;  // the server keeps the status it asked for
    response.body =
        "{\"error\":{\"type\":\"invalid_request_error\",\"status\":" + std::to_string(status) +
        "}}";
    return response;
  };
  auto server = start_echo_server(options);
  auto missing = fetch({.url = url_for(server->port(), "/nope")});
  ASSERT_TRUE(missing.is_ok());
  EXPECT_EQ(missing->status, 404);
  EXPECT_EQ(missing->body, "{\"error\":{\"type\":\"invalid_request_error\",\"status\":404}}");

  RawClient client(server->port());
  ASSERT_TRUE(client.send("NOT HTTP AT ALL\r\n\r\n"));
  auto bad = client.read_response();
  ASSERT_TRUE(bad.has_value());
  EXPECT_EQ(bad->status, 400);
  EXPECT_NE(bad->body.find("\"status\":400"), std::string::npos);
}

TEST(Server, HeadAnswersHeadersOnly) {
  auto server = std::make_unique<Server>();
  server->route("HEAD", "/x", [](Request, Responder responder) {
    responder.respond(Response{.body = "not sent"});
  });
  ASSERT_TRUE(server->start("127.0.0.1", 0).is_ok());
  RawClient client(server->port());
  ASSERT_TRUE(
      client.send("HEAD /x HTTP/1.1\r\nHost: x\r\n\r\nHEAD /x HTTP/1.1\r\nHost: x\r\n\r\n"));
  for (int i = 0; i < 2; ++i) {
    // A body after the first answer would be misread as the second answer's status line.
    auto response = client.read_response(testing::kSafetyLimit, /*to_head=*/true);
    ASSERT_TRUE(response.has_value());
    EXPECT_EQ(response->status, 200);
    EXPECT_EQ(response->header("content-length"), "8");
  }
}

TEST(Server, Http10ClientWithoutKeepAliveIsClosedAfterTheAnswer) {
  auto server = start_echo_server();
  RawClient client(server->port());
  ASSERT_TRUE(client.send("GET /hello HTTP/1.0\r\n\r\n"));
  auto response = client.read_response();
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->body, "hello ");
  EXPECT_EQ(response->header("connection"), "close");
  EXPECT_TRUE(client.wait_closed());
}

TEST(Server, StartFailsOnAPortInUse) {
  auto first = start_echo_server();
  Server second;
  Status status = second.start("127.0.0.1", first->port());
  EXPECT_FALSE(status.is_ok());
  EXPECT_NE(status.message().find("cannot listen"), std::string::npos) << status.message();
}

}  // namespace
}  // namespace turbine::http
