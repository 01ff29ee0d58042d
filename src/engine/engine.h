// One model's engine: the step loop on its own thread. Requests come in through submit() and
// cancel() from any thread (a bounded queue); each step the Scheduler plans a batch, the
// ModelRunner computes it, the Sampler picks tokens, and each request's outputs go to its sink,
// called on the engine thread (sinks must not block). Stats are atomics any thread may read.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <vector>

#include "backend/backend.h"
#include "base/status.h"
#include "engine/model_runner.h"
#include "engine/request.h"
#include "engine/scheduler.h"
#include "engine/step_time_model.h"
#include "model/checkpoint.h"

namespace turbine {

struct EngineOptions {
  CpuBackendOptions backend;
  // KV cache: its element type, and its size as bytes, or else as a fraction of the memory
  // available when the engine starts. Never more than max_num_seqs full contexts need.
  DType kv_dtype = DType::kF16;
  int64_t kv_cache_bytes = 0;
  double kv_cache_memory_fraction = 0.25;
  int32_t block_size = 16;
  bool prefix_caching = true;
  int64_t max_model_len = 0;            // 0: the model's context length (capped by the cache)
  int32_t max_num_seqs = 64;            // running sequences
  int64_t max_num_batched_tokens = 512; // token budget per step
  int64_t max_prefill_chunk = 0;        // 0: the budget
  int32_t max_waiting_requests = 256;   // submit() beyond this: kResourceExhausted
  double target_itl_seconds = 0.0;      // > 0: steps sized to keep every stream under it
  std::vector<int32_t> stop_token_ids;  // end-of-sequence/turn tokens (the tokenizer's)
  bool kv_events = false;               // record prefix-cache events for set_kv_event_observer
};

// Counters for /metrics, updated by the engine thread after each step.
struct EngineStats {
  std::atomic<int64_t> num_running{0};          // sequences
  std::atomic<int64_t> num_waiting{0};          // sequences, including not yet admitted requests
  std::atomic<double> kv_cache_usage{0.0};      // 0..1
  std::atomic<int64_t> prefix_cache_queries{0}; // tokens
  std::atomic<int64_t> prefix_cache_hits{0};    // tokens
  std::atomic<int64_t> prompt_tokens{0};
  std::atomic<int64_t> generation_tokens{0};
  std::atomic<int64_t> num_preemptions{0};
  std::atomic<int64_t> num_steps{0};
  std::atomic<int64_t> num_prompt_chunks{0};    // steps x sequences computing part of a prompt
  std::atomic<int64_t> last_batch_size{0};      // sequences in the last step
  std::atomic<int64_t> last_step_tokens{0};
  std::atomic<int64_t> token_budget{0};         // the last step's budget
  std::atomic<double> last_step_seconds{0.0};
};

struct StepInfo {  // passed to EngineObserver after each step (engine thread)
  int64_t num_seqs;
  int64_t num_tokens;
  int64_t token_budget;
  double seconds;
};

class Engine {
 public:
  static Result<std::unique_ptr<Engine>> create(std::shared_ptr<const Checkpoint> checkpoint,
                                                const EngineOptions& options);
  ~Engine();  // stops the loop; unfinished requests end with FinishReason::kAbort
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  // Queues a request and returns its id. Errors: kInvalidArgument (empty prompt, a token outside
  // the vocabulary, prompt plus max_tokens beyond max_model_len()), kResourceExhausted (queue full).
  Result<uint64_t> submit(EngineRequest request);
  // Ends a request (client gone, stop string seen): its blocks are free after the current step.
  void cancel(uint64_t request_id);
  // Called after every step on the engine thread; set before the first submit.
  void set_step_observer(std::function<void(const StepInfo&)> observer) { observer_ = std::move(observer); }
  // Called on the engine thread after each step that stored or removed prefix-cache blocks, with
  // those events in order (a KV-aware router's index is built from them). Needs
  // EngineOptions::kv_events; set before the first submit.
  void set_kv_event_observer(std::function<void(std::vector<KvEvent>)> observer) {
    kv_observer_ = std::move(observer);
  }

  const EngineStats& stats() const { return stats_; }
  const ModelConfig& config() const { return checkpoint_->config; }
  int64_t max_model_len() const { return max_model_len_; }
  int32_t block_size() const { return options_.block_size; }
  int32_t max_num_seqs() const { return options_.max_num_seqs; }
  int64_t num_kv_blocks() const { return runner_->num_kv_blocks(); }
  int64_t kv_cache_bytes() const { return runner_->kv_cache().num_bytes(); }
  std::string backend_name() const { return backend_->name(); }

 private:
  Engine(std::shared_ptr<const Checkpoint> checkpoint, const EngineOptions& options);
  void loop();
  bool take_inbox();  // false when stopping
  void admit(std::unique_ptr<Request> request);
  void abort_request(uint64_t id, FinishReason reason, const std::string& error);
  void step();
  StepLimits step_limits() const;
  void build_batch(const SchedulerOutput& out);
  void process_outputs(const SchedulerOutput& out);
  void collect_prompt_logprobs(Sequence& seq, int64_t first_pos, int64_t num_new, int64_t& row);
  void sample(Sequence& seq, float* logits);
  void fork_choices(Sequence& parent, const float* logits);
  void finish_sequence(Sequence& seq, FinishReason reason, RequestOutput& out);
  // log-softmax of `logits` into scratch_, then top_logprobs().
  TokenLogprob token_logprob(const float* logits, int32_t token, int32_t top_k);
  // The token's logprob and the top_k best from the log-softmax in scratch_.
  TokenLogprob top_logprobs(int32_t token, int32_t top_k);
  bool is_stop_token(const Sequence& seq, int32_t token) const;
  void publish_stats();

  std::shared_ptr<const Checkpoint> checkpoint_;
  EngineOptions options_;
  std::unique_ptr<Backend> backend_;
  std::unique_ptr<ModelRunner> runner_;
  std::unique_ptr<KvCacheManager> kv_;
  std::unique_ptr<Scheduler> scheduler_;
  Sampler sampler_;
  StepTimeModel step_time_;
  int64_t max_model_len_ = 0;
  int64_t vocab_size_ = 0;
  std::function<void(const StepInfo&)> observer_;
  std::function<void(std::vector<KvEvent>)> kv_observer_;

  // Engine thread.
  std::unordered_map<uint64_t, std::unique_ptr<Request>> requests_;
  uint64_t next_arrival_ = 0;
  ForwardBatch batch_;
  std::vector<float> logits_;      // [batch_.logit_rows.size(), vocab]
  std::vector<float> scratch_;     // [vocab]: log-softmax of the row being sampled
  std::vector<int32_t> top_ids_;   // [vocab]: scratch for top logprobs
  int64_t last_context_tokens_ = 0;

  // Shared with submit()/cancel().
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::unique_ptr<Request>> inbox_;
  std::vector<uint64_t> cancels_;
  bool stopping_ = false;
  std::atomic<uint64_t> next_id_{1};
  std::atomic<int64_t> num_queued_requests_{0};  // submitted, not yet admitted by the scheduler

  EngineStats stats_;
  std::thread thread_;
};

}  // namespace turbine
