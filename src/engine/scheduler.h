// Decides each step which sequences compute how many tokens, under one token budget: there is no
// prefill phase and no decode phase, every sequence's computed tokens catch up with its known
// tokens. Running sequences go first (decodes before prompt chunks, so a long prompt never stalls
// streams already running), then waiting ones in priority order as blocks and budget allow. When
// blocks run out, the last sequence in priority order is preempted: its blocks are freed and it is
// recomputed later (its prefix is often still cached). Books only; the Engine runs the step.
// Engine thread only.
#pragma once

#include <cstdint>
#include <set>
#include <vector>

#include "engine/kv_cache_manager.h"
#include "engine/request.h"

namespace turbine {

// One step's limits; the Engine sets them from its options and the live step-time model.
struct StepLimits {
  int64_t token_budget = 512;   // tokens computed this step, all sequences together
  int32_t max_num_seqs = 64;    // sequences running at once
  int64_t max_prefill_chunk = 0;  // prompt tokens per sequence per step; 0: the budget
};

struct ScheduledSequence {
  Sequence* seq;
  int64_t num_new_tokens;       // tokens [num_computed_tokens, + num_new_tokens) computed now
};

struct SchedulerOutput {
  std::vector<ScheduledSequence> scheduled;
  std::vector<BlockCopy> copies;        // copy-on-write, before the forward pass
  std::vector<Sequence*> preempted;     // moved back to waiting this step
  int64_t num_tokens = 0;
  int64_t num_prompt_chunks = 0;        // sequences computing only part of their prompt
  bool empty() const { return scheduled.empty(); }
};

struct PrefixCacheStats {
  int64_t queries = 0;  // prompt tokens looked up
  int64_t hits = 0;     // of which found cached
};

class Scheduler {
 public:
  explicit Scheduler(KvCacheManager& kv) : kv_(kv) {}

  // A sequence with no blocks joins the waiting queue.
  void add_waiting(Sequence* seq);
  // A sequence that already holds its blocks (a fork of a running one) runs from the next step.
  void add_running(Sequence* seq);
  // Plans the next step. Precondition: the previous step's output was applied (computed counts).
  SchedulerOutput schedule(const StepLimits& limits);
  // Takes a sequence out of the queues and frees its blocks (finished, cancelled).
  void remove(Sequence* seq);

  size_t num_waiting() const { return waiting_.size(); }
  size_t num_running() const { return running_.size(); }
  const std::set<Sequence*, SequenceOrder>& waiting() const { return waiting_; }
  const std::set<Sequence*, SequenceOrder>& running() const { return running_; }
  const PrefixCacheStats& prefix_cache_stats() const { return prefix_stats_; }
  int64_t num_preemptions() const { return num_preemptions_; }

 private:
  struct StepState;
  void schedule_running(StepState& st, bool decodes);
  void schedule_waiting(StepState& st);
  // Frees blocks until `seq` can compute `num_new` tokens; false if `seq` itself was preempted.
  bool allocate_or_preempt(StepState& st, Sequence* seq, int64_t num_new);
  void preempt(StepState& st, Sequence* victim);
  void add_scheduled(StepState& st, Sequence* seq, int64_t num_new);
  int64_t chunk_size(const StepState& st, const Sequence* seq, int64_t num_uncomputed) const;

  KvCacheManager& kv_;
  std::set<Sequence*, SequenceOrder> waiting_;
  std::set<Sequence*, SequenceOrder> running_;
  PrefixCacheStats prefix_stats_;
  int64_t num_preemptions_ = 0;
};

}  // namespace turbine
