// Retries, failures and cancellation: which failures move a request to another instance, what
// the caller sees, and cancel() racing a retry.
#include <gtest/gtest.h>

#include "tests/router/router_test_util.h"

namespace turbine::testing {
namespace {

using Mode = ScriptedWorker::Mode;

class RouterRetryTest : public RouterTest {
 protected:
  void SetUp() override {
    RouterOptions options;
    options.policy = PolicyKind::kRoundRobin;  // the first attempt goes to "a", the first added
    make_router(options);
  }

  // The caller saw exactly a clean stream of `num_tokens` tokens from one instance.
  static void expect_clean_stream(Collector& c, int num_tokens) {
    ASSERT_TRUE(c.wait());
    const std::vector<RequestOutput> outs = c.outputs();
    ASSERT_EQ(int(outs.size()), num_tokens);
    for (const RequestOutput& o : outs) EXPECT_NE(o.finish_reason, FinishReason::kError);
    EXPECT_EQ(outs.back().finish_reason, FinishReason::kLength);
    EXPECT_EQ(c.num_tokens(), num_tokens);
  }
};

TEST_F(RouterRetryTest, UnreachableInstanceIsRetriedElsewhere) {
  add("a").set_mode(Mode::kUnreachable);
  add("b").set_num_tokens(3);
  Submitted s = submit();
  expect_clean_stream(*s.collector, 3);
  EXPECT_EQ(s.handle->instance_id(), "b");
  EXPECT_EQ(s.handle->num_attempts(), 2);
  EXPECT_EQ(worker("a").num_generate(), 1);
  EXPECT_FALSE(status("a").healthy);  // unreachable: skipped for the cooldown
  EXPECT_EQ(status("a").num_in_flight, 0);
  // The next requests skip A without trying it.
  for (int i = 0; i < 3; ++i) EXPECT_EQ(run(), "b");
  EXPECT_EQ(worker("a").num_generate(), 1);
}

TEST_F(RouterRetryTest, EarlyFailureOnTheStreamIsRetriedElsewhere) {
  for (ErrorCode code : {ErrorCode::kUnavailable, ErrorCode::kDeadlineExceeded, ErrorCode::kResourceExhausted}) {
    SCOPED_TRACE(int(code));
    router_ = nullptr;
    SetUp();
    ScriptedWorker& a = add("a" + std::to_string(int(code)));
    a.set_mode(Mode::kFailEarly);
    a.set_fail_code(code);
    add("b" + std::to_string(int(code))).set_num_tokens(2);
    Submitted s = submit();
    expect_clean_stream(*s.collector, 2);
    EXPECT_EQ(s.handle->num_attempts(), 2);
    EXPECT_EQ(a.num_accepted(), 1);
    // Full is no sign of ill health; unreachable and silent are.
    EXPECT_EQ(status(a.describe()).healthy, code == ErrorCode::kResourceExhausted);
    EXPECT_EQ(status(a.describe()).num_in_flight, 0);
  }
}

TEST_F(RouterRetryTest, FullInstanceIsRetriedElsewhereAndStaysHealthy) {
  add("a").set_mode(Mode::kRefuse);
  add("b");
  Submitted s = submit();
  expect_clean_stream(*s.collector, 1);
  EXPECT_EQ(s.handle->instance_id(), "b");
  EXPECT_TRUE(status("a").healthy);
}

TEST_F(RouterRetryTest, MidStreamFailureIsNotRetried) {
  ScriptedWorker& a = add("a");
  a.set_mode(Mode::kFailMidStream);
  a.set_num_tokens(2);
  add("b");
  Submitted s = submit();
  ASSERT_TRUE(s.collector->wait());
  const std::vector<RequestOutput> outs = s.collector->outputs();
  ASSERT_EQ(outs.size(), 3u);
  EXPECT_EQ(outs[0].tokens.size(), 1u);
  EXPECT_EQ(outs[1].tokens.size(), 1u);
  EXPECT_EQ(outs[2].finish_reason, FinishReason::kError);
  EXPECT_EQ(outs[2].error_code, ErrorCode::kUnavailable);
  EXPECT_TRUE(outs[2].started);
  EXPECT_EQ(worker("b").num_generate(), 0);
  EXPECT_EQ(s.handle->num_attempts(), 1);
  EXPECT_FALSE(status("a").healthy);  // it died
  EXPECT_EQ(status("a").num_in_flight, 0);
}

TEST_F(RouterRetryTest, RefusedRequestIsNotRetried) {
  ScriptedWorker& a = add("a");
  a.set_mode(Mode::kFailEarly);
  a.set_fail_code(ErrorCode::kInvalidArgument);
  add("b");
  Submitted s = submit();
  ASSERT_TRUE(s.collector->wait());
  EXPECT_EQ(s.collector->last().finish_reason, FinishReason::kError);
  EXPECT_EQ(s.collector->last().error_code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(worker("b").num_generate(), 0);
  EXPECT_TRUE(status("a").healthy);
}

TEST_F(RouterRetryTest, EveryInstanceFullEndsWithResourceExhausted) {
  add("a").set_mode(Mode::kRefuse);
  ScriptedWorker& b = add("b");
  b.set_mode(Mode::kFailEarly);
  b.set_fail_code(ErrorCode::kResourceExhausted);
  add("c").set_mode(Mode::kRefuse);
  Submitted s = submit();
  ASSERT_TRUE(s.collector->wait());
  ASSERT_EQ(s.collector->outputs().size(), 1u);
  const RequestOutput final_output = s.collector->last();
  EXPECT_EQ(final_output.finish_reason, FinishReason::kError);
  EXPECT_EQ(final_output.error_code, ErrorCode::kResourceExhausted);
  EXPECT_FALSE(final_output.started);
  EXPECT_EQ(s.handle->num_attempts(), 3);
  for (const char* id : {"a", "b", "c"}) {
    EXPECT_EQ(worker(id).num_generate(), 1) << id;
    EXPECT_EQ(status(id).num_in_flight, 0) << id;
  }
}

TEST_F(RouterRetryTest, SynchronousFailuresReachTheSinkBeforeSubmitReturns) {
  add("a").set_mode(Mode::kRefuse);
  add("b").set_mode(Mode::kUnreachable);
  Submitted s = submit();
  EXPECT_TRUE(s.collector->done());
  // One of the failures was not "full": 503, not 429.
  EXPECT_EQ(s.collector->last().error_code, ErrorCode::kUnavailable);
  EXPECT_FALSE(s.collector->last().started);
}

TEST_F(RouterRetryTest, SinkMayCancelFromInsideTheFinalError) {
  ScriptedWorker& a = add("a");
  a.set_mode(Mode::kFailEarly);
  a.set_fail_code(ErrorCode::kResourceExhausted);
  a.close_gate();
  auto slot = std::make_shared<std::shared_ptr<RouteHandle>>();
  auto collector = std::make_shared<Collector>();
  OutputSink inner = collector->sink();
  Result<std::shared_ptr<RouteHandle>> h = router_->submit("m", "", request(), [slot, inner](RequestOutput&& out) {
    (*slot)->cancel();  // a caller tearing down on error: must not deadlock on the handle's lock
    inner(std::move(out));
  });
  ASSERT_TRUE(h.is_ok());
  *slot = h.value();
  a.open_gate();
  ASSERT_TRUE(collector->wait());
  EXPECT_EQ(collector->last().error_code, ErrorCode::kResourceExhausted);
  slot->reset();  // the handle holds the sink, which holds the slot
}

TEST_F(RouterRetryTest, AttemptsAreBoundedByMaxAttempts) {
  RouterOptions options;
  options.policy = PolicyKind::kRoundRobin;
  options.max_attempts = 2;
  make_router(options);
  for (const char* id : {"a", "b", "c", "d"}) add(id).set_mode(Mode::kRefuse);
  Submitted s = submit();
  ASSERT_TRUE(s.collector->wait());
  EXPECT_EQ(s.collector->last().error_code, ErrorCode::kResourceExhausted);
  int total = 0;
  for (const char* id : {"a", "b", "c", "d"}) total += worker(id).num_generate();
  EXPECT_EQ(total, 2);
}

TEST_F(RouterRetryTest, CancelBetweenAttemptsStopsTheRetry) {
  // A fails only once the test opens its gate, after cancel() reached it too late (ignored).
  ScriptedWorker& a = add("a");
  a.set_mode(Mode::kFailEarly);
  a.set_ignore_cancel(true);
  a.close_gate();
  add("b").set_mode(Mode::kSilent);
  Submitted s = submit();
  ASSERT_EQ(s.handle->instance_id(), "a");
  router_->cancel(s.handle);
  router_->cancel(s.handle);  // idempotent
  EXPECT_EQ(a.num_cancel(), 1);
  a.open_gate();
  ASSERT_TRUE(s.collector->wait());
  ASSERT_EQ(s.collector->outputs().size(), 1u);
  EXPECT_EQ(s.collector->last().finish_reason, FinishReason::kAbort);
  EXPECT_EQ(worker("b").num_generate(), 0);
  EXPECT_EQ(status("a").num_in_flight, 0);
}

TEST_F(RouterRetryTest, CancelAfterARetryReachesTheNewInstance) {
  add("a").set_mode(Mode::kFailEarly);
  ScriptedWorker& b = add("b");
  b.set_mode(Mode::kSilent);
  Submitted s = submit();
  ASSERT_TRUE(eventually([&] { return b.num_accepted() == 1; }));
  EXPECT_EQ(s.handle->instance_id(), "b");
  router_->cancel(s.handle);
  ASSERT_TRUE(s.collector->wait());
  EXPECT_EQ(b.num_cancel(), 1);
  EXPECT_EQ(worker("a").num_cancel(), 0);
  EXPECT_EQ(s.collector->last().finish_reason, FinishReason::kAbort);
  EXPECT_EQ(status("b").num_in_flight, 0);
}

TEST_F(RouterRetryTest, RetryFollowsThePoolAsItIsNow) {
  // A fails once its gate opens; meanwhile B left the pool and C joined: the retry goes to C.
  ScriptedWorker& a = add("a");
  a.set_mode(Mode::kFailEarly);
  a.close_gate();
  add("b");
  Submitted s = submit();
  ASSERT_EQ(s.handle->instance_id(), "a");
  ASSERT_TRUE(router_->remove_instance("b"));
  add("c");
  a.open_gate();
  expect_clean_stream(*s.collector, 1);
  EXPECT_EQ(s.handle->instance_id(), "c");
  EXPECT_EQ(worker("b").num_generate(), 0);
}

}  // namespace
}  // namespace turbine::testing
