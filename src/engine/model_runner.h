// Runs a checkpoint's forward pass on a backend: owns the KV cache storage and the scratch
// activations, takes a ForwardBatch and returns logits. The runner computes; deciding what goes
// into a batch and which blocks a sequence owns is the scheduler's and block pool's job.
// Engine thread only.
#pragma once

#include <functional>
#include <memory>

#include "backend/backend.h"
#include "base/status.h"
#include "engine/activations.h"
#include "engine/arch/llama.h"
#include "engine/forward_batch.h"
#include "engine/kv_cache_storage.h"
#include "model/checkpoint.h"

namespace turbine {

struct ModelRunnerOptions {
  KvCacheShape kv;                 // num_blocks == 0: enough for one sequence of the model's context
  int64_t max_context_tokens = 0;  // 0: the model's context length (capped at 8192 when sizing KV)
  // When set, decides kv.num_blocks instead, called once the backend holds the prepared weights
  // (which may be a copy: Backend::prepare_weight), so a budget taken from the memory still
  // free does not count the weights twice. An error fails create().
  std::function<Result<int64_t>()> kv_blocks;
};

class ModelRunner {
 public:
  static Result<std::unique_ptr<ModelRunner>> create(std::shared_ptr<const Checkpoint> checkpoint,
                                                     Backend& backend,
                                                     const ModelRunnerOptions& options);

  // logits: [batch.logit_rows.size(), vocab_size]. Returns an error (and computes nothing) for
  // a batch that is malformed: token ids outside the vocabulary, slots outside the cache.
  Status forward(const ForwardBatch& batch, float* logits);

  // arch_ refers to weights_: a runner stays where create() put it.
  ModelRunner(const ModelRunner&) = delete;
  ModelRunner& operator=(const ModelRunner&) = delete;

  const ModelConfig& config() const { return checkpoint_->config; }
  const Checkpoint& checkpoint() const { return *checkpoint_; }
  const KvCacheStorage& kv_cache() const { return *kv_; }
  KvCacheStorage& kv_cache() { return *kv_; }
  int64_t block_size() const { return kv_->shape().block_size; }
  int64_t num_kv_blocks() const { return kv_->shape().num_blocks; }
  Backend& backend() { return backend_; }

 private:
  ModelRunner(std::shared_ptr<const Checkpoint> checkpoint, Backend& backend, ModelWeights weights);
  Status validate(const ForwardBatch& batch) const;

  std::shared_ptr<const Checkpoint> checkpoint_;
  Backend& backend_;
  // The checkpoint's matrices as the backend prepared them (Backend::prepare_weight); arch_
  // computes with these.
  ModelWeights weights_;
  std::unique_ptr<KvCacheStorage> kv_;
  Activations activations_;
  LlamaForward arch_;
};

}  // namespace turbine
