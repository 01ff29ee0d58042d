#include "engine/model_runner.h"

#include <algorithm>
#include <string>

namespace turbine {
namespace {

// A copy of the checkpoint's weights whose matrices are the backend's prepared forms. The token
// embedding is only gathered from (get_rows), so it stays as loaded unless it is the output
// matrix (tied), whose prepared copy it then shares. A matrix the backend copied out of the GGUF
// mapping gives its pages back at once, so the process does not hold the weights twice (only
// GGUF holds Q4_0 and Q8_0, the types the CPU backend copies).
Result<ModelWeights> prepare_weights(Backend& backend, const Checkpoint& ck) {
  const ModelWeights& w = ck.weights;
  ModelWeights out = w;
  auto prepare = [&](MatrixView& m) -> Status {
    TB_ASSIGN_OR_RETURN(PreparedWeight p, backend.prepare_weight(m));
    if (p.view.data != m.data && ck.gguf) ck.gguf->mapping()->drop_pages(m.data, size_t(m.num_bytes()));
    m = p.view;
    if (p.storage) out.storage.push_back(std::move(p.storage));
    return Status::ok();
  };
  for (LayerWeights& layer : out.layers) {
    for (MatrixView* m : {&layer.wq, &layer.wk, &layer.wv, &layer.wo, &layer.w_gate, &layer.w_up,
                          &layer.w_down}) {
      TB_RETURN_IF_ERROR(prepare(*m));
    }
  }
  TB_RETURN_IF_ERROR(prepare(out.output));
  if (w.token_embedding.data == w.output.data) out.token_embedding = out.output;
  return out;
}

}  // namespace

ModelRunner::ModelRunner(std::shared_ptr<const Checkpoint> checkpoint, Backend& backend,
                         ModelWeights weights)
    : checkpoint_(std::move(checkpoint)),
      backend_(backend),
      weights_(std::move(weights)),
      activations_(backend, checkpoint_->config),
      arch_(checkpoint_->config, weights_) {}

Result<std::unique_ptr<ModelRunner>> ModelRunner::create(std::shared_ptr<const Checkpoint> checkpoint,
                                                         Backend& backend,
                                                         const ModelRunnerOptions& options) {
  TB_ASSIGN_OR_RETURN(ModelWeights weights, prepare_weights(backend, *checkpoint));
  std::unique_ptr<ModelRunner> runner(
      new ModelRunner(std::move(checkpoint), backend, std::move(weights)));
  const ModelConfig& c = runner->config();
  KvCacheShape shape = options.kv;
  if (options.kv_blocks) {
    TB_ASSIGN_OR_RETURN(shape.num_blocks, options.kv_blocks());
  } else if (shape.num_blocks == 0) {
    int64_t ctx = options.max_context_tokens > 0 ? options.max_context_tokens
                                                 : std::min<int64_t>(c.context_length, 8192);
    ctx = std::max<int64_t>(ctx, shape.block_size);
    shape.num_blocks = (ctx + shape.block_size - 1) / shape.block_size;
  }
  TB_ASSIGN_OR_RETURN(runner->kv_, KvCacheStorage::create(backend, c, shape));
  return runner;
}

Status ModelRunner::validate(const ForwardBatch& b) const {
  const int64_t n = b.num_tokens();
  if (n == 0) return invalid_argument("empty batch");
  if (int64_t(b.positions.size()) != n || int64_t(b.slots.size()) != n)
    return invalid_argument("batch arrays disagree in length");
  if (int64_t(b.query_start.size()) != b.num_seqs() + 1 || b.query_start.back() != n)
    return invalid_argument("batch query_start does not cover the tokens");
  const int64_t vocab = config().vocab_size;
  const int64_t num_slots = kv_->shape().num_blocks * kv_->shape().block_size;
  for (int64_t i = 0; i < n; ++i) {
    if (b.token_ids[size_t(i)] < 0 || b.token_ids[size_t(i)] >= vocab)
      return invalid_argument("token id " + std::to_string(b.token_ids[size_t(i)]) +
                              " is outside the vocabulary of " + std::to_string(vocab));
    if (b.slots[size_t(i)] < 0 || b.slots[size_t(i)] >= num_slots)
      return out_of_range("KV slot " + std::to_string(b.slots[size_t(i)]) + " is outside the cache");
  }
  // Every block a sequence's context touches must exist: attention reads them all.
  const int64_t block_size = kv_->shape().block_size;
  if (int64_t(b.block_tables.size()) != b.num_seqs() * b.max_blocks_per_seq)
    return invalid_argument("block tables do not match the number of sequences");
  for (int64_t s = 0; s < b.num_seqs(); ++s) {
    const int64_t q_len = b.query_start[size_t(s + 1)] - b.query_start[size_t(s)];
    const int64_t seq_len = b.seq_lens[size_t(s)];
    if (q_len <= 0 || seq_len < q_len) return invalid_argument("sequence shorter than its new tokens");
    if ((seq_len + block_size - 1) / block_size > b.max_blocks_per_seq)
      return out_of_range("block table shorter than the sequence");
    for (int64_t blk = 0; blk < (seq_len + block_size - 1) / block_size; ++blk) {
      const int32_t id = b.block_tables[size_t(s * b.max_blocks_per_seq + blk)];
      if (id < 0 || id >= kv_->shape().num_blocks) return out_of_range("block id outside the cache");
    }
  }
  for (int32_t row : b.logit_rows)
    if (row < 0 || row >= n) return invalid_argument("logit row outside the batch");
  return Status::ok();
}

Status ModelRunner::forward(const ForwardBatch& batch, float* logits) {
  TB_RETURN_IF_ERROR(validate(batch));
  activations_.reserve(batch.num_tokens(), int64_t(batch.logit_rows.size()));
  arch_.forward(backend_, *kv_, batch, activations_, logits);
  return Status::ok();
}

}  // namespace turbine
