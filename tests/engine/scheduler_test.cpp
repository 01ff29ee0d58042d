// Scheduler decisions on tiny configurations, with no model: who runs, how many tokens each
// computes, the order of the queues, chunking, priorities and preemption.
#include <gtest/gtest.h>

#include <memory>

#include "engine/scheduler.h"

namespace turbine {
namespace {

class SchedulerTest : public ::testing::Test {
 protected:
  // Block size 4.
  void make(int32_t num_blocks) {
    kv_ = std::make_unique<KvCacheManager>(num_blocks, 4, true);
    sched_ = std::make_unique<Scheduler>(*kv_);
  }
  Sequence* add(int prompt_len, int priority = 0, int salt = 0) {
    auto r = std::make_unique<Request>();
    r->id = requests_.size();
    r->arrival_order = requests_.size();
    for (int i = 0; i < prompt_len; ++i) r->prompt.push_back(100 * salt + i);
    r->params.priority = priority;
    r->seqs.push_back(std::make_unique<Sequence>(r.get(), 0, r->prompt, r->params.sampling));
    Sequence* s = r->seqs[0].get();
    requests_.push_back(std::move(r));
    sched_->add_waiting(s);
    return s;
  }
  // What the engine does after the forward pass: computed counts advance; a sequence that
  // caught up samples a token.
  void apply(const SchedulerOutput& out) {
    for (const auto& s : out.scheduled) {
      s.seq->num_computed_tokens += s.num_new_tokens;
      kv_->cache_computed_blocks(s.seq->kv, s.seq->tokens, s.seq->num_computed_tokens);
      if (s.seq->num_computed_tokens == int64_t(s.seq->tokens.size())) s.seq->tokens.push_back(7);
    }
  }
  static std::vector<std::pair<Sequence*, int64_t>> plan(const SchedulerOutput& out) {
    std::vector<std::pair<Sequence*, int64_t>> p;
    for (const auto& s : out.scheduled) p.emplace_back(s.seq, s.num_new_tokens);
    return p;
  }
  using Plan = std::vector<std::pair<Sequence*, int64_t>>;

  std::unique_ptr<KvCacheManager> kv_;
  std::unique_ptr<Scheduler> sched_;
  std::vector<std::unique_ptr<Request>> requests_;
};

TEST_F(SchedulerTest, MixesDecodesAndPromptChunksUnderOneBudget) {
  make(64);
  Sequence* a = add(6);
  StepLimits lim{.token_budget = 8, .max_num_seqs = 8};
  auto s1 = sched_->schedule(lim);
  EXPECT_EQ(plan(s1), (Plan{{a, 6}}));
  apply(s1);
  Sequence* b = add(20, 0, /*salt=*/1);
  // a decodes (1 token); b gets the remaining 7 of the budget as its first chunk.
  auto s2 = sched_->schedule(lim);
  EXPECT_EQ(plan(s2), (Plan{{a, 1}, {b, 7}}));
  EXPECT_EQ(s2.num_prompt_chunks, 1);
  apply(s2);
  auto s3 = sched_->schedule(lim);
  EXPECT_EQ(plan(s3), (Plan{{a, 1}, {b, 7}}));
  apply(s3);
  auto s4 = sched_->schedule(lim);
  EXPECT_EQ(plan(s4), (Plan{{a, 1}, {b, 6}}));  // b's last chunk: it samples after this step
  EXPECT_EQ(s4.num_prompt_chunks, 0);
}

TEST_F(SchedulerTest, DecodesGoBeforeAnEarlierLongPromptsChunks) {
  make(64);
  Sequence* longp = add(40);
  StepLimits lim{.token_budget = 10, .max_num_seqs = 8, .max_prefill_chunk = 6};
  auto s1 = sched_->schedule(lim);
  EXPECT_EQ(plan(s1), (Plan{{longp, 6}}));
  apply(s1);
  Sequence* shortp = add(3);
  auto s2 = sched_->schedule(lim);
  EXPECT_EQ(plan(s2), (Plan{{longp, 6}, {shortp, 3}}));
  apply(s2);
  // shortp now decodes; it is scheduled first although it arrived later.
  auto s3 = sched_->schedule(lim);
  EXPECT_EQ(plan(s3), (Plan{{shortp, 1}, {longp, 6}}));
}

TEST_F(SchedulerTest, WaitingQueueIsPriorityThenArrival) {
  make(64);
  Sequence* a = add(4, /*priority=*/1);
  Sequence* b = add(4, 0);
  Sequence* c = add(4, 1);
  Sequence* d = add(4, -1);
  StepLimits lim{.token_budget = 100, .max_num_seqs = 2};
  auto s1 = sched_->schedule(lim);
  EXPECT_EQ(plan(s1), (Plan{{d, 4}, {b, 4}}));
  std::vector<Sequence*> waiting(sched_->waiting().begin(), sched_->waiting().end());
  EXPECT_EQ(waiting, (std::vector<Sequence*>{a, c}));
}

TEST_F(SchedulerTest, RunsOutOfBlocksAndPreemptsTheLastInOrder) {
  make(4);  // 16 tokens
  Sequence* a = add(7);
  Sequence* b = add(7, 0, 1);
  StepLimits lim{.token_budget = 100, .max_num_seqs = 8};
  auto s1 = sched_->schedule(lim);
  EXPECT_EQ(plan(s1), (Plan{{a, 7}, {b, 7}}));
  apply(s1);  // each holds 2 blocks, 8 tokens now known
  auto s2 = sched_->schedule(lim);  // token 8 fits in block 2: decode
  EXPECT_EQ(plan(s2), (Plan{{a, 1}, {b, 1}}));
  apply(s2);
  // a's next token needs a third block: none free, so b (last in order) is preempted.
  auto s3 = sched_->schedule(lim);
  EXPECT_EQ(plan(s3), (Plan{{a, 1}}));
  EXPECT_EQ(s3.preempted, (std::vector<Sequence*>{b}));
  EXPECT_EQ(b->num_computed_tokens, 0);
  EXPECT_EQ(b->num_preemptions, 1);
  EXPECT_TRUE(b->kv.block_table.empty());
  EXPECT_EQ(sched_->num_preemptions(), 1);
  EXPECT_EQ(*sched_->waiting().begin(), b);
  apply(s3);
  // b comes back when a is done and recomputes its 9 tokens. Its freed blocks went to the free
  // queue tail block first, so a's new block was b's second block: only the first is still
  // cached.
  sched_->remove(a);
  auto s4 = sched_->schedule(lim);
  ASSERT_EQ(s4.scheduled.size(), 1u);
  EXPECT_EQ(s4.scheduled[0].seq, b);
  EXPECT_EQ(b->num_computed_tokens, 4);
  EXPECT_EQ(s4.scheduled[0].num_new_tokens, 5);
}

TEST_F(SchedulerTest, AnUrgentRequestPreemptsALessUrgentOne) {
  make(4);
  Sequence* low = add(12, /*priority=*/5);
  StepLimits lim{.token_budget = 100, .max_num_seqs = 8};
  apply(sched_->schedule(lim));  // low holds 3 blocks
  Sequence* urgent = add(8, /*priority=*/0, 1);
  auto s = sched_->schedule(lim);
  EXPECT_EQ(s.preempted, (std::vector<Sequence*>{low}));
  EXPECT_EQ(plan(s), (Plan{{urgent, 8}}));  // low's decode token went back to the budget
}

TEST_F(SchedulerTest, ASequenceThatCannotGrowPreemptsItself) {
  make(2);
  Sequence* a = add(8);
  StepLimits lim{.token_budget = 100, .max_num_seqs = 8};
  apply(sched_->schedule(lim));  // 2 blocks, 9 tokens known
  auto s = sched_->schedule(lim);
  EXPECT_TRUE(s.empty());
  EXPECT_EQ(s.preempted, (std::vector<Sequence*>{a}));
}

TEST_F(SchedulerTest, NoAdmissionInAStepThatPreempted) {
  make(4);
  Sequence* a = add(8);
  Sequence* b = add(7, 0, 1);
  StepLimits lim{.token_budget = 100, .max_num_seqs = 8};
  apply(sched_->schedule(lim));  // a: 2 blocks (9 tokens known), b: 2 blocks (8 known)
  add(1, 0, 2);
  auto s = sched_->schedule(lim);
  // a needs a third block: b is preempted; the new request must not take b's blocks.
  EXPECT_EQ(s.preempted, (std::vector<Sequence*>{b}));
  EXPECT_EQ(plan(s), (Plan{{a, 1}}));
}

TEST_F(SchedulerTest, CopyOnWriteIsPlannedForAForkWritingASharedBlock) {
  make(8);
  Sequence* a = add(6);
  StepLimits lim{.token_budget = 100, .max_num_seqs = 8};
  auto s1 = sched_->schedule(lim);
  a->num_computed_tokens = 6;
  // The engine forks choice 1 after the prompt: same blocks, same computed tokens.
  auto child = std::make_unique<Sequence>(a->request, 1, a->request->prompt, SamplingParams{});
  child->num_computed_tokens = 6;
  child->kv = kv_->fork(a->kv);
  a->tokens.push_back(1);
  child->tokens.push_back(2);
  sched_->add_running(child.get());
  auto s2 = sched_->schedule(lim);
  EXPECT_EQ(plan(s2), (Plan{{a, 1}, {child.get(), 1}}));
  ASSERT_EQ(s2.copies.size(), 1u);  // a copies block 1; the child then holds it alone
  EXPECT_EQ(s2.copies[0].src, 1);
  EXPECT_NE(a->kv.block_table[1], child->kv.block_table[1]);
  sched_->remove(child.get());
}

}  // namespace
}  // namespace turbine
