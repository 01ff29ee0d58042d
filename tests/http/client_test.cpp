// The blocking client: transport errors, and bodies in their various framings.
#include "http/client.h"

#include <gtest/gtest.h>

#include <unistd.h>

#include "http/server.h"
#include "tests/http/http_test_util.h"

namespace turbine::http {
namespace {

using namespace std::chrono_literals;
using testing::url_for;

TEST(Client, ConnectionRefusedIsAnError) {
  auto response = fetch({.url = url_for(testing::refused_port(), "/")});
  ASSERT_FALSE(response.is_ok());
  EXPECT_NE(response.status().message().find("cannot connect"), std::string::npos)
      << response.status().message();
}

TEST(Client, ServerThatNeverAnswersTimesOut) {
  testing::SilentListener silent;  // the connect succeeds, the answer never comes
  auto response = fetch({.url = url_for(silent.port(), "/"), .timeout = 200ms});
  ASSERT_FALSE(response.is_ok());
  EXPECT_NE(response.status().message().find("timed out"), std::string::npos)
      << response.status().message();
}

TEST(Client, BadUrlIsAnError) {
  auto response = fetch({.url = "https://127.0.0.1/"});
  ASSERT_FALSE(response.is_ok());
  EXPECT_EQ(response.status().code(), ErrorCode::kInvalidArgument);
}

TEST(Client, ReadsLargeAndChunkedBodies) {
  Server server;
  std::string big(3 * 1024 * 1024 + 7, 'q');
  for (size_t i = 0; i < big.size(); i += 4096) big[i] = static_cast<char>('a' + (i / 4096) % 26);
  server.route("GET", "/big", [&](Request, Responder responder) {
    responder.respond(Response{.content_type = "application/octet-stream", .body = big});
  });
  server.route("GET", "/chunks", [&](Request, Responder responder) {
    auto stream = responder.start_stream(200, "text/plain");
    for (size_t i = 0; i < big.size(); i += 100000) stream->write(big.substr(i, 100000));
  });
  ASSERT_TRUE(server.start("127.0.0.1", 0).is_ok());
  for (const char* path : {"/big", "/chunks"}) {
    auto response = fetch({.url = url_for(server.port(), path)});
    ASSERT_TRUE(response.is_ok()) << response.status().message();
    EXPECT_EQ(response->status, 200);
    EXPECT_TRUE(response->body == big) << path << ": " << response->body.size() << " bytes";
  }
  std::string streamed;
  auto response =
      fetch_stream({.url = url_for(server.port(), "/chunks")}, [&](std::string_view piece) {
        streamed.append(piece);
        return true;
      });
  ASSERT_TRUE(response.is_ok());
  EXPECT_TRUE(response->body.empty());
  EXPECT_TRUE(streamed == big);
}

TEST(Client, CallbackExceptionReachesTheCaller) {
  Server server;
  server.route("GET", "/x",
               [](Request, Responder responder) { responder.respond(Response{.body = "x"}); });
  ASSERT_TRUE(server.start("127.0.0.1", 0).is_ok());
  EXPECT_THROW(
      (void)fetch_stream({.url = url_for(server.port(), "/x")},
                         [](std::string_view) -> bool { throw std::runtime_error("callback"); }),
      std::runtime_error);
}

}  // namespace
}  // namespace turbine::http
