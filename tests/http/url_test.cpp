#include "http/url.h"

#include <gtest/gtest.h>

namespace turbine::http {
namespace {

TEST(Url, ParsesTheUsualForms) {
  auto url = parse_url("http://127.0.0.1:8080/v1/chat/completions?x=1#frag");
  ASSERT_TRUE(url.is_ok());
  EXPECT_EQ(url->host, "127.0.0.1");
  EXPECT_EQ(url->port, 8080);
  EXPECT_EQ(url->target, "/v1/chat/completions?x=1");
  EXPECT_EQ(url->authority(), "127.0.0.1:8080");

  url = parse_url("HTTP://example.com");
  ASSERT_TRUE(url.is_ok());
  EXPECT_EQ(url->port, 80);
  EXPECT_EQ(url->target, "/");

  url = parse_url("http://[::1]:9000?q");
  ASSERT_TRUE(url.is_ok());
  EXPECT_EQ(url->host, "::1");
  EXPECT_EQ(url->target, "/?q");
  EXPECT_EQ(url->authority(), "[::1]:9000");
}

TEST(Url, RejectsWhatItCannotServe) {
  for (const char* bad : {"https://x/", "ftp://x", "x:80/", "http://", "http://:80/", "http://x:0/",
                          "http://x:65536/", "http://x:8a/", "http://u@x/", "http://[::1/"}) {
    EXPECT_FALSE(parse_url(bad).is_ok()) << bad;
  }
}

}  // namespace
}  // namespace turbine::http
