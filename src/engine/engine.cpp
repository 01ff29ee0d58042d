#include "engine/engine.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>

#include "base/system_memory.h"

namespace turbine {

const char* finish_reason_name(FinishReason r) {
  switch (r) {
    case FinishReason::kNone: return "none";
    case FinishReason::kStop: return "stop";
    case FinishReason::kLength: return "length";
    case FinishReason::kAbort: return "abort";
    case FinishReason::kError: return "error";
  }
  return "none";
}

namespace {

Status check_options(const EngineOptions& o) {
  if (o.block_size <= 0 || o.block_size > 1024) return invalid_argument("block size must be 1..1024 tokens");
  if (o.max_num_seqs <= 0) return invalid_argument("max_num_seqs must be positive");
  if (o.max_num_batched_tokens <= 0) return invalid_argument("max_num_batched_tokens must be positive");
  if (o.max_prefill_chunk < 0) return invalid_argument("max_prefill_chunk must not be negative");
  if (o.max_waiting_requests <= 0) return invalid_argument("max_waiting_requests must be positive");
  if (o.kv_cache_bytes < 0) return invalid_argument("KV cache bytes must not be negative");
  if (o.kv_cache_bytes == 0 && !(o.kv_cache_memory_fraction > 0.0 && o.kv_cache_memory_fraction <= 0.95))
    return invalid_argument("KV cache memory fraction must be in (0, 0.95]");
  if (o.target_itl_seconds < 0.0) return invalid_argument("target inter-token latency must not be negative");
  return Status::ok();
}

}  // namespace

Engine::Engine(std::shared_ptr<const Checkpoint> checkpoint, const EngineOptions& options)
    : checkpoint_(std::move(checkpoint)), options_(options) {}

Result<std::unique_ptr<Engine>> Engine::create(std::shared_ptr<const Checkpoint> checkpoint,
                                               const EngineOptions& options) {
  TB_RETURN_IF_ERROR(check_options(options));
  std::unique_ptr<Engine> e(new Engine(std::move(checkpoint), options));
  TB_ASSIGN_OR_RETURN(e->backend_, make_cpu_backend(options.backend));
  const ModelConfig& c = e->checkpoint_->config;
  const int64_t context = options.max_model_len > 0 ? std::min(options.max_model_len, c.context_length)
                                                    : c.context_length;
  ModelRunnerOptions runner_options;
  runner_options.kv = KvCacheShape{0, options.block_size, options.kv_dtype};
  // Sized once the weights are prepared: the memory still available then is what KV may use.
  runner_options.kv_blocks = [&]() -> Result<int64_t> {
    const int64_t block_bytes = KvCacheStorage::bytes_per_block(c, runner_options.kv);
    const int64_t budget =
        options.kv_cache_bytes > 0
            ? options.kv_cache_bytes
            : int64_t(options.kv_cache_memory_fraction * double(available_memory_bytes()));
    const int64_t blocks_per_seq = (context + options.block_size - 1) / options.block_size;
    int64_t blocks = std::min<int64_t>(budget / block_bytes, int64_t(options.max_num_seqs) * blocks_per_seq);
    blocks = std::min<int64_t>(blocks, std::numeric_limits<int32_t>::max() / options.block_size);
    if (blocks < 1)
      return Status(ErrorCode::kResourceExhausted,
                    "a KV cache of " + std::to_string(budget) + " bytes holds not one block of " +
                        std::to_string(block_bytes) + " bytes");
    return blocks;
  };
  TB_ASSIGN_OR_RETURN(e->runner_, ModelRunner::create(e->checkpoint_, *e->backend_, runner_options));
  const int64_t num_blocks = e->runner_->num_kv_blocks();
  e->max_model_len_ = std::min(context, num_blocks * options.block_size);
  e->kv_ = std::make_unique<KvCacheManager>(int32_t(num_blocks), options.block_size,
                                            options.prefix_caching);
  if (options.kv_events) e->kv_->pool().enable_events();
  e->scheduler_ = std::make_unique<Scheduler>(*e->kv_);
  e->vocab_size_ = c.vocab_size;
  e->scratch_.resize(size_t(c.vocab_size));
  e->thread_ = std::thread([raw = e.get()] { raw->loop(); });
  return e;
}

Engine::~Engine() {
  {
    std::lock_guard<std::mutex> lk(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

Result<uint64_t> Engine::submit(EngineRequest in) {
  const GenerationParams& p = in.params;
  if (in.prompt.empty()) return invalid_argument("the prompt is empty");
  for (int32_t t : in.prompt)
    if (t < 0 || t >= vocab_size_)
      return invalid_argument("token id " + std::to_string(t) + " is outside the vocabulary of " +
                              std::to_string(vocab_size_));
  if (p.max_tokens < 1) return invalid_argument("max_tokens must be at least 1");
  if (p.n < 1) return invalid_argument("n must be at least 1");
  if (int64_t(in.prompt.size()) + p.max_tokens > max_model_len_)
    return invalid_argument("the prompt (" + std::to_string(in.prompt.size()) + " tokens) plus " +
                            std::to_string(p.max_tokens) + " output tokens exceeds the context of " +
                            std::to_string(max_model_len_) + " tokens");
  if (!in.sink) return invalid_argument("a request needs an output sink");
  if (num_queued_requests_.fetch_add(1) >= options_.max_waiting_requests) {
    num_queued_requests_.fetch_sub(1);
    return Status(ErrorCode::kResourceExhausted, "the waiting queue is full");
  }
  auto r = std::make_unique<Request>();
  r->id = next_id_.fetch_add(1);
  r->arrival_time = Clock::now();
  r->prompt = std::move(in.prompt);
  r->params = std::move(in.params);
  r->sink = std::move(in.sink);
  const uint64_t id = r->id;
  {
    std::lock_guard<std::mutex> lk(mu_);
    inbox_.push_back(std::move(r));
  }
  cv_.notify_one();
  return id;
}

void Engine::cancel(uint64_t request_id) {
  {
    std::lock_guard<std::mutex> lk(mu_);
    cancels_.push_back(request_id);
  }
  cv_.notify_one();
}

void Engine::loop() {
  while (take_inbox())
    if (scheduler_->num_running() + scheduler_->num_waiting() > 0) step();
  std::vector<uint64_t> ids;
  for (const auto& [id, r] : requests_) ids.push_back(id);
  for (uint64_t id : ids) abort_request(id, FinishReason::kAbort, "the engine stopped");
  std::vector<std::unique_ptr<Request>> never_admitted;
  {
    std::lock_guard<std::mutex> lk(mu_);
    never_admitted.swap(inbox_);
  }
  // Outside the lock: a sink may call cancel().
  for (auto& r : never_admitted) {
    RequestOutput out;
    out.finish_reason = FinishReason::kAbort;
    out.error = "the engine stopped";
    r->sink(std::move(out));
  }
}

bool Engine::take_inbox() {
  std::vector<std::unique_ptr<Request>> arrived;
  std::vector<uint64_t> cancels;
  {
    std::unique_lock<std::mutex> lk(mu_);
    const bool busy = scheduler_->num_running() + scheduler_->num_waiting() > 0;
    cv_.wait(lk, [&] { return stopping_ || busy || !inbox_.empty() || !cancels_.empty(); });
    if (stopping_) return false;
    arrived.swap(inbox_);
    cancels.swap(cancels_);
  }
  for (auto& r : arrived) admit(std::move(r));
  for (uint64_t id : cancels) abort_request(id, FinishReason::kAbort, "");
  if (!cancels.empty()) publish_stats();  // the engine may go idle now: the books must show it
  return true;
}

void Engine::admit(std::unique_ptr<Request> r) {
  r->arrival_order = next_arrival_++;
  r->seqs.push_back(std::make_unique<Sequence>(r.get(), 0, r->prompt, r->params.sampling));
  r->num_unfinished = 1;
  scheduler_->add_waiting(r->seqs[0].get());
  stats_.prompt_tokens.fetch_add(int64_t(r->prompt.size()), std::memory_order_relaxed);
  requests_.emplace(r->id, std::move(r));
}

void Engine::abort_request(uint64_t id, FinishReason reason, const std::string& error) {
  auto it = requests_.find(id);
  if (it == requests_.end()) return;  // finished already
  Request& r = *it->second;
  if (!r.admitted) num_queued_requests_.fetch_sub(1);
  for (auto& seq : r.seqs) {
    if (seq->state == SequenceState::kFinished) continue;
    scheduler_->remove(seq.get());
    seq->finish_reason = reason;
    RequestOutput out;
    out.index = seq->index;
    out.finish_reason = reason;
    out.error = error;
    if (reason == FinishReason::kError) out.error_code = ErrorCode::kInternal;
    out.num_prompt_tokens = int64_t(r.prompt.size());
    out.num_cached_tokens = r.num_cached_tokens;
    r.sink(std::move(out));
  }
  requests_.erase(it);
}

StepLimits Engine::step_limits() const {
  StepLimits l;
  l.max_num_seqs = options_.max_num_seqs;
  l.max_prefill_chunk = options_.max_prefill_chunk;
  l.token_budget = options_.max_num_batched_tokens;
  if (options_.target_itl_seconds > 0.0) {
    // Running decodes always get their token; beyond them, only what keeps the step in target.
    const int64_t running = int64_t(scheduler_->num_running());
    l.token_budget = step_time_.max_tokens_within(options_.target_itl_seconds, last_context_tokens_,
                                                  running > 0 ? running : 16,
                                                  options_.max_num_batched_tokens);
  }
  return l;
}

void Engine::step() {
  const auto t0 = Clock::now();
  const StepLimits limits = step_limits();
  SchedulerOutput out = scheduler_->schedule(limits);
  if (out.empty()) {
    // With nothing running every block is free, and submit() refuses what cannot fit alone, so
    // this is an invariant: report it on the head request instead of spinning.
    if (scheduler_->num_running() == 0 && scheduler_->num_waiting() > 0) {
      Sequence* head = *scheduler_->waiting().begin();
      abort_request(head->request->id, FinishReason::kError, "the request does not fit the KV cache");
    }
    publish_stats();
    return;
  }
  for (const ScheduledSequence& s : out.scheduled) {
    Request& r = *s.seq->request;
    if (!r.admitted) {
      r.admitted = true;
      r.queue_seconds = std::chrono::duration<double>(t0 - r.arrival_time).count();
      num_queued_requests_.fetch_sub(1);
    }
  }
  for (const BlockCopy& c : out.copies) runner_->kv_cache().copy_block(c.src, c.dst);
  build_batch(out);
  if (Status s = runner_->forward(batch_, logits_.data()); !s.is_ok()) {
    std::vector<uint64_t> ids;
    for (const ScheduledSequence& sc : out.scheduled) ids.push_back(sc.seq->request->id);
    for (uint64_t id : ids) abort_request(id, FinishReason::kError, s.message());
    publish_stats();
    return;
  }
  const double seconds = std::chrono::duration<double>(Clock::now() - t0).count();
  step_time_.observe(out.num_tokens, last_context_tokens_, seconds);
  process_outputs(out);

  stats_.num_steps.fetch_add(1, std::memory_order_relaxed);
  stats_.num_prompt_chunks.fetch_add(out.num_prompt_chunks, std::memory_order_relaxed);
  stats_.last_batch_size.store(int64_t(out.scheduled.size()), std::memory_order_relaxed);
  stats_.last_step_tokens.store(out.num_tokens, std::memory_order_relaxed);
  stats_.token_budget.store(limits.token_budget, std::memory_order_relaxed);
  stats_.last_step_seconds.store(seconds, std::memory_order_relaxed);
  publish_stats();
  if (observer_) observer_({int64_t(out.scheduled.size()), out.num_tokens, limits.token_budget, seconds});
  if (kv_observer_) {
    std::vector<KvEvent> events = kv_->pool().take_events();
    if (!events.empty()) kv_observer_(std::move(events));
  }
}

void Engine::publish_stats() {
  stats_.num_running.store(int64_t(scheduler_->num_running()), std::memory_order_relaxed);
  // Waiting: admitted-but-not-running sequences plus requests still in the inbox.
  int64_t waiting = int64_t(scheduler_->num_waiting());
  {
    std::lock_guard<std::mutex> lk(mu_);
    waiting += int64_t(inbox_.size());
  }
  stats_.num_waiting.store(waiting, std::memory_order_relaxed);
  stats_.kv_cache_usage.store(kv_->pool().usage(), std::memory_order_relaxed);
  stats_.prefix_cache_queries.store(scheduler_->prefix_cache_stats().queries, std::memory_order_relaxed);
  stats_.prefix_cache_hits.store(scheduler_->prefix_cache_stats().hits, std::memory_order_relaxed);
  stats_.num_preemptions.store(scheduler_->num_preemptions(), std::memory_order_relaxed);
}

void Engine::build_batch(const SchedulerOutput& out) {
  batch_.clear();
  const int64_t bs = kv_->block_size();
  int64_t context = 0;
  std::vector<int32_t> new_tokens;
  for (const ScheduledSequence& s : out.scheduled) {
    const Sequence& q = *s.seq;
    const int64_t start = q.num_computed_tokens, end = start + s.num_new_tokens;
    new_tokens.assign(q.tokens.begin() + start, q.tokens.begin() + end);
    const bool samples = end == int64_t(q.tokens.size());
    const bool prompt_rows = q.request->params.prompt_logprobs && start < q.num_prompt_tokens;
    const int32_t row0 = int32_t(batch_.num_tokens());
    batch_.add_sequence(new_tokens, start, q.kv.block_table, bs, samples && !prompt_rows);
    if (prompt_rows)
      for (int32_t i = 0; i < int32_t(s.num_new_tokens); ++i) batch_.logit_rows.push_back(row0 + i);
    context += end;
  }
  last_context_tokens_ = context;
  logits_.resize(batch_.logit_rows.size() * size_t(vocab_size_));
}

void Engine::process_outputs(const SchedulerOutput& out) {
  int64_t row = 0;  // next unread row of logits_
  for (const ScheduledSequence& s : out.scheduled) {
    Sequence& q = *s.seq;
    const int64_t start = q.num_computed_tokens;
    q.num_computed_tokens += s.num_new_tokens;
    kv_->cache_computed_blocks(q.kv, q.tokens, q.num_computed_tokens);
    const bool prompt_rows = q.request->params.prompt_logprobs && start < q.num_prompt_tokens;
    if (prompt_rows) collect_prompt_logprobs(q, start, s.num_new_tokens, row);
    if (q.num_computed_tokens == int64_t(q.tokens.size())) {
      const int64_t sample_row = prompt_rows ? row - 1 : row++;
      sample(q, logits_.data() + sample_row * vocab_size_);  // may finish q and free its request
    }
  }
}

// Rows [row, row + num_new) hold the logits after prompt positions [first_pos, + num_new).
void Engine::collect_prompt_logprobs(Sequence& q, int64_t first_pos, int64_t num_new, int64_t& row) {
  Request& r = *q.request;
  if (r.prompt_logprobs.empty()) r.prompt_logprobs.emplace_back();  // the first token has none
  const int32_t k = std::max<int32_t>(r.params.logprobs, 0);
  for (int64_t p = first_pos; p < first_pos + num_new; ++p) {
    // A recomputation after preemption passes positions already recorded.
    if (p + 1 < q.num_prompt_tokens && int64_t(r.prompt_logprobs.size()) == p + 1)
      r.prompt_logprobs.push_back(token_logprob(logits_.data() + (row + p - first_pos) * vocab_size_,
                                                q.tokens[size_t(p + 1)], k));
  }
  row += num_new;
}

TokenLogprob Engine::token_logprob(const float* logits, int32_t token, int32_t top_k) {
  Sampler::log_softmax(logits, vocab_size_, scratch_.data());
  return top_logprobs(token, top_k);
}

TokenLogprob Engine::top_logprobs(int32_t token, int32_t top_k) {
  TokenLogprob t{token, scratch_[size_t(token)], {}};
  if (top_k <= 0) return t;
  const int64_t k = std::min<int64_t>(top_k, vocab_size_);
  top_ids_.resize(size_t(vocab_size_));
  for (int32_t i = 0; i < int32_t(vocab_size_); ++i) top_ids_[size_t(i)] = i;
  // Ties go to the lower id, so the list is the same on every run.
  std::partial_sort(top_ids_.begin(), top_ids_.begin() + k, top_ids_.end(), [&](int32_t a, int32_t b) {
    const float la = scratch_[size_t(a)], lb = scratch_[size_t(b)];
    return la > lb || (la == lb && a < b);
  });
  for (int64_t i = 0; i < k; ++i) {
    const int32_t id = top_ids_[size_t(i)];
    t.top.emplace_back(id, scratch_[size_t(id)]);
  }
  return t;
}

bool Engine::is_stop_token(const Sequence& q, int32_t token) const {
  const auto& a = options_.stop_token_ids;
  const auto& b = q.request->params.stop_token_ids;
  return std::find(a.begin(), a.end(), token) != a.end() || std::find(b.begin(), b.end(), token) != b.end();
}

void Engine::sample(Sequence& q, float* logits) {
  Request& r = *q.request;
  const GenerationParams& p = r.params;
  // Choices 1..n-1 draw their first token from this same distribution.
  std::vector<float> first_logits;
  const bool fork = q.index == 0 && p.n > 1 && !r.forked;
  if (fork) first_logits.assign(logits, logits + vocab_size_);

  if (!p.ignore_eos && q.num_output_tokens() < p.min_tokens) {
    for (int32_t t : options_.stop_token_ids) if (t >= 0 && t < vocab_size_) logits[t] = -INFINITY;
    for (int32_t t : p.stop_token_ids) if (t >= 0 && t < vocab_size_) logits[t] = -INFINITY;
  }
  // Logprobs are of the model's distribution (after the min_tokens mask), before penalties and
  // temperature reshape it for sampling; the sampler keeps its own scratch, so scratch_ survives.
  if (p.logprobs >= 0) Sampler::log_softmax(logits, vocab_size_, scratch_.data());
  const int32_t token = sampler_.sample(logits, vocab_size_, q.sampler);
  TokenLogprob chosen{token, 0.0f, {}};
  if (p.logprobs >= 0) chosen = top_logprobs(token, p.logprobs);
  q.sampler.accept(token);
  q.tokens.push_back(token);
  stats_.generation_tokens.fetch_add(1, std::memory_order_relaxed);

  if (fork) fork_choices(q, first_logits.data());

  RequestOutput out;
  out.index = q.index;
  out.tokens.push_back(std::move(chosen));
  out.num_prompt_tokens = q.num_prompt_tokens;
  out.num_cached_tokens = r.num_cached_tokens;
  out.queue_seconds = r.queue_seconds;
  if (p.prompt_logprobs && !r.prompt_logprobs_sent) {
    out.prompt_logprobs = std::move(r.prompt_logprobs);
    r.prompt_logprobs_sent = true;
  }
  FinishReason reason = FinishReason::kNone;
  if (!p.ignore_eos && is_stop_token(q, token)) {
    reason = FinishReason::kStop;
    out.stopped_on_token = true;
  } else if (q.num_output_tokens() >= p.max_tokens || int64_t(q.tokens.size()) >= max_model_len_) {
    reason = FinishReason::kLength;
  }
  if (reason != FinishReason::kNone) finish_sequence(q, reason, out);
  else r.sink(std::move(out));
}

void Engine::fork_choices(Sequence& parent, const float* logits) {
  Request& r = *parent.request;
  r.forked = true;
  std::vector<float> row(static_cast<size_t>(vocab_size_));
  for (int32_t i = 1; i < r.params.n; ++i) {
    SamplingParams sp = r.params.sampling;
    if (sp.seed) sp.seed = *sp.seed + uint64_t(i);  // choice 0 keeps the seed: n=1 reproduces it
    auto child = std::make_unique<Sequence>(&r, i, r.prompt, sp);
    child->num_computed_tokens = parent.num_prompt_tokens;
    child->kv = kv_->fork(parent.kv);
    Sequence* c = child.get();
    r.seqs.push_back(std::move(child));
    ++r.num_unfinished;
    scheduler_->add_running(c);
    std::copy(logits, logits + vocab_size_, row.begin());
    sample(*c, row.data());
  }
}

void Engine::finish_sequence(Sequence& q, FinishReason reason, RequestOutput& out) {
  Request* r = q.request;
  out.finish_reason = reason;
  scheduler_->remove(&q);
  q.finish_reason = reason;
  --r->num_unfinished;
  r->sink(std::move(out));
  if (r->num_unfinished == 0) requests_.erase(r->id);
}

}  // namespace turbine
