#include "http/sse.h"

#include <gtest/gtest.h>

namespace turbine::http {
namespace {

std::vector<std::string> data_of(const std::vector<SseEvent>& events) {
  std::vector<std::string> out;
  for (const auto& e : events) out.push_back(e.data);
  return out;
}

TEST(SseEvent, FormatsOneLine) { EXPECT_EQ(sse_event("{\"a\":1}"), "data: {\"a\":1}\n\n"); }

TEST(SseEvent, SplitsEveryKindOfLineBreakIntoDataLines) {
  EXPECT_EQ(sse_event("a\nb\r\nc\rd"), "data: a\ndata: b\ndata: c\ndata: d\n\n");
  EXPECT_EQ(sse_event("end\n"), "data: end\ndata: \n\n");
  EXPECT_EQ(sse_event(""), "data: \n\n");
}

TEST(SseEvent, NamedEvent) { EXPECT_EQ(sse_event("x", "ping"), "event: ping\ndata: x\n\n"); }

TEST(SseParser, RoundTripsWhatSseEventWrites) {
  for (std::string data : {"plain", "two\nlines", "", " leading space", "trailing\n", "[DONE]"}) {
    SseParser parser;
    auto events = parser.feed(sse_event(data));
    ASSERT_EQ(events.size(), 1u) << data;
    EXPECT_EQ(events[0].data, data);
  }
}

TEST(SseParser, EventsSplitAtEveryByteComeOutWhole) {
  std::string stream =
      ": comment\r\ndata: first\r\n\r\nevent: update\rdata: second\rdata: more\r\r"
      "id: 7\ndata:third\n\n";
  std::vector<SseEvent> events;
  SseParser parser;
  for (char c : stream) parser.feed(std::string_view(&c, 1), events);
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(events[0].data, "first");
  EXPECT_EQ(events[1].event, "update");
  EXPECT_EQ(events[1].data, "second\nmore");
  EXPECT_EQ(events[2].data, "third");
  EXPECT_EQ(events[2].id, "7");
}

TEST(SseParser, CrLfSplitAcrossPiecesEndsOneLineOnly) {
  SseParser parser;
  EXPECT_TRUE(parser.feed("data: a\r").empty());
  // If the \n were taken for a second line break, this would end the event early.
  EXPECT_TRUE(parser.feed("\ndata: b\r").empty());
  auto events = parser.feed("\n\r\n");
  EXPECT_EQ(data_of(events), std::vector<std::string>{"a\nb"});
}

TEST(SseParser, SkipsCommentsAndEventsWithoutData) {
  SseParser parser;
  auto events =
      parser.feed(": keep-alive\n\nevent: empty\n\nretry: 10\nunknown: x\ndata: real\n\n");
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].data, "real");
  EXPECT_EQ(events[0].event, "");
}

TEST(SseParser, FieldWithoutColonAndValueWithoutSpace) {
  SseParser parser;
  auto events = parser.feed("data\ndata:x\ndata:  two spaces\n\n");
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].data, "\nx\n two spaces");
}

TEST(SseParser, IgnoresLeadingBomAndKeepsAnUnfinishedEventPending) {
  SseParser parser;
  auto events = parser.feed(
      "\xEF\xBB\xBF"
      "data: one\n\ndata: cut off");
  EXPECT_EQ(data_of(events), std::vector<std::string>{"one"});
  EXPECT_TRUE(parser.feed("").empty());
}

TEST(SseParser, OpenAiStyleStream) {
  std::string stream = sse_event(R"({"choices":[{"delta":{"content":"Hel"}}]})") +
                       sse_event(R"({"choices":[{"delta":{"content":"lo"}}]})") +
                       sse_event("[DONE]");
  SseParser parser;
  std::vector<SseEvent> events;
  // Pieces of 5 bytes: events straddle the pieces.
  for (size_t i = 0; i < stream.size(); i += 5)
    parser.feed(std::string_view(stream).substr(i, 5), events);
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(events[2].data, "[DONE]");
}

}  // namespace
}  // namespace turbine::http
