#include "engine/scheduler.h"

#include <algorithm>

#include "base/check.h"

namespace turbine {

namespace {
constexpr int64_t kPromptLogprobChunk = 64;
}  // namespace

struct Scheduler::StepState {
  const StepLimits& limits;
  SchedulerOutput out;
  int64_t budget;
};

void Scheduler::add_waiting(Sequence* seq) {
  TB_CHECK(seq->kv.block_table.empty(), "a waiting sequence holds no blocks");
  seq->state = SequenceState::kWaiting;
  waiting_.insert(seq);
}

void Scheduler::add_running(Sequence* seq) {
  seq->state = SequenceState::kRunning;
  running_.insert(seq);
}

void Scheduler::remove(Sequence* seq) {
  waiting_.erase(seq);
  running_.erase(seq);
  kv_.free(seq->kv);
  seq->state = SequenceState::kFinished;
}

SchedulerOutput Scheduler::schedule(const StepLimits& limits) {
  StepState st{limits, {}, limits.token_budget};
  schedule_running(st, /*decodes=*/true);
  schedule_running(st, /*decodes=*/false);
  // Blocks were short this step: admitting more would only preempt again.
  if (st.out.preempted.empty()) schedule_waiting(st);
  for (const ScheduledSequence& s : st.out.scheduled)
    st.out.num_prompt_chunks +=
        s.seq->num_computed_tokens + s.num_new_tokens < int64_t(s.seq->tokens.size());
  return std::move(st.out);
}

int64_t Scheduler::chunk_size(const StepState& st, const Sequence* seq, int64_t num_uncomputed) const {
  int64_t n = std::min(num_uncomputed, st.budget);
  if (st.limits.max_prefill_chunk > 0 && num_uncomputed > 1) n = std::min(n, st.limits.max_prefill_chunk);
  // Prompt logprobs keep a vocabulary-sized row of logits per token: small chunks.
  if (seq->request->params.prompt_logprobs) n = std::min(n, kPromptLogprobChunk);
  return n;
}

void Scheduler::schedule_running(StepState& st, bool decodes) {
  const std::vector<Sequence*> order(running_.begin(), running_.end());
  for (Sequence* seq : order) {
    if (st.budget <= 0) return;
    if (seq->state != SequenceState::kRunning) continue;  // preempted earlier this step
    const int64_t num_uncomputed = seq->num_uncomputed_tokens();
    if ((num_uncomputed == 1) != decodes || num_uncomputed <= 0) continue;
    const int64_t num_new = chunk_size(st, seq, num_uncomputed);
    if (allocate_or_preempt(st, seq, num_new)) add_scheduled(st, seq, num_new);
  }
}

bool Scheduler::allocate_or_preempt(StepState& st, Sequence* seq, int64_t num_new) {
  while (!kv_.allocate_slots(seq->kv, seq->num_computed_tokens, num_new, nullptr, st.out.copies)) {
    Sequence* victim = *running_.rbegin();  // last in priority order
    preempt(st, victim);
    if (victim == seq) return false;
  }
  return true;
}

void Scheduler::schedule_waiting(StepState& st) {
  while (!waiting_.empty() && st.budget > 0 &&
         int64_t(running_.size()) < int64_t(st.limits.max_num_seqs)) {
    Sequence* seq = *waiting_.begin();
    PrefixHit hit;
    if (!seq->request->params.prompt_logprobs) hit = kv_.find_cached_prefix(seq->tokens, seq->kv);
    const int64_t num_new = chunk_size(st, seq, int64_t(seq->tokens.size()) - hit.num_tokens);
    bool allocated = kv_.allocate_slots(seq->kv, hit.num_tokens, num_new, &hit, st.out.copies);
    // A more urgent request may take the blocks of a less urgent running one.
    while (!allocated && !running_.empty() &&
           (*running_.rbegin())->request->params.priority > seq->request->params.priority) {
      preempt(st, *running_.rbegin());
      allocated = kv_.allocate_slots(seq->kv, hit.num_tokens, num_new, &hit, st.out.copies);
    }
    if (!allocated) return;
    // Only the first admission counts toward the prefix-cache metrics (vLLM's rule).
    if (seq->num_preemptions == 0 && seq->index == 0) {
      prefix_stats_.queries += int64_t(seq->tokens.size());
      prefix_stats_.hits += hit.num_tokens;
      seq->request->num_cached_tokens = hit.num_tokens;
    }
    seq->num_computed_tokens = hit.num_tokens;
    waiting_.erase(seq);
    add_running(seq);
    add_scheduled(st, seq, num_new);
  }
}

void Scheduler::add_scheduled(StepState& st, Sequence* seq, int64_t num_new) {
  st.out.scheduled.push_back({seq, num_new});
  st.out.num_tokens += num_new;
  st.budget -= num_new;
}

void Scheduler::preempt(StepState& st, Sequence* victim) {
  auto& sched = st.out.scheduled;
  auto it = std::find_if(sched.begin(), sched.end(),
                         [&](const ScheduledSequence& s) { return s.seq == victim; });
  if (it != sched.end()) {  // it gives its tokens back; a copy into its freed block is harmless
    st.out.num_tokens -= it->num_new_tokens;
    st.budget += it->num_new_tokens;
    sched.erase(it);
  }
  running_.erase(victim);
  kv_.free(victim->kv);
  victim->num_computed_tokens = 0;
  ++victim->num_preemptions;
  ++num_preemptions_;
  add_waiting(victim);
  st.out.preempted.push_back(victim);
}

}  // namespace turbine
