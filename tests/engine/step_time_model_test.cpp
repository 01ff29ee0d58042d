// The step-time model behind --target-itl-ms: it learns t = a + b*tokens + c*context from the
// steps it sees and turns a latency target into a token budget.
#include <gtest/gtest.h>

#include "engine/step_time_model.h"

namespace turbine {
namespace {

TEST(StepTimeModel, LearnsALinearCostAndSizesTheBudget) {
  StepTimeModel m;
  EXPECT_EQ(m.max_tokens_within(0.05, 0, 1, 512), 512);  // nothing learned: no limit yet
  // 10 ms fixed + 1 ms per token + 2 us per context token, over varied steps.
  for (int i = 0; i < 200; ++i) {
    const int64_t tokens = 1 + (i * 37) % 300, context = (i * 101) % 5000;
    m.observe(tokens, context, 0.010 + 0.001 * double(tokens) + 2e-6 * double(context));
  }
  EXPECT_NEAR(m.predict(100, 1000), 0.010 + 0.1 + 0.002, 1e-6);
  // 50.5 ms target with 1000 context tokens: (0.0505 - 0.010 - 0.002) / 0.001 = 38.5 -> 38.
  EXPECT_EQ(m.max_tokens_within(0.0505, 1000, 1, 512), 38);
  // A target the fixed cost alone exceeds still lets running decodes through.
  EXPECT_EQ(m.max_tokens_within(0.005, 1000, 12, 512), 12);
  EXPECT_EQ(m.max_tokens_within(10.0, 0, 1, 512), 512);
}

TEST(StepTimeModel, FollowsTheMachineWhenItSlowsDown) {
  StepTimeModel m(0.9);
  for (int i = 0; i < 100; ++i) m.observe(10 + i % 20, 0, 0.001 * double(10 + i % 20));
  const int64_t fast = m.max_tokens_within(0.1, 0, 1, 100000);
  for (int i = 0; i < 100; ++i) m.observe(10 + i % 20, 0, 0.004 * double(10 + i % 20));
  const int64_t slow = m.max_tokens_within(0.1, 0, 1, 100000);
  EXPECT_NEAR(double(fast), 100.0, 2.0);
  EXPECT_NEAR(double(slow), 25.0, 1.0);
}

}  // namespace
}  // namespace turbine
