#include "cli/engine_flags.h"

#include "cli/commands.h"

namespace turbine::cli {

void add_engine_options(CLI::App& cmd, EngineFlags& f) {
  cmd.add_option("--threads", f.threads, "compute threads per engine (0: one per core)")->check(CLI::Range(0, 1024));
  cmd.add_option("--kv-dtype", f.kv_dtype, kKvDtypeHelp);
  cmd.add_option("--kv-cache-bytes", f.kv_cache_bytes, "KV cache size in bytes, per model (0: a fraction of free memory)")
      ->check(CLI::Range(int64_t(0), int64_t(1) << 50));
  cmd.add_option("--kv-cache-memory-fraction", f.kv_cache_memory_fraction,
                 "fraction of available memory for the KV caches, shared by the models")->check(CLI::Range(0.001, 0.95));
  cmd.add_option("--block-size", f.block_size, "tokens per KV block")->check(CLI::Range(1, 1024));
  cmd.add_flag("--no-prefix-caching", f.no_prefix_caching, "do not reuse cached prompt blocks");
  cmd.add_option("--max-model-len", f.max_model_len, "context length cap (0: the model's)")->check(CLI::Range(int64_t(0), int64_t(1) << 24));
  cmd.add_option("--max-num-seqs", f.max_num_seqs, "sequences running at once")->check(CLI::Range(1, 4096));
  cmd.add_option("--max-num-batched-tokens", f.max_num_batched_tokens, "token budget per engine step")
      ->check(CLI::Range(int64_t(1), int64_t(1) << 20));
  cmd.add_option("--max-prefill-chunk", f.max_prefill_chunk, "prompt tokens per sequence per step (0: the budget)")
      ->check(CLI::Range(int64_t(0), int64_t(1) << 20));
  cmd.add_option("--max-waiting", f.max_waiting, "requests waiting per model; beyond: 429")->check(CLI::Range(1, 1 << 20));
  cmd.add_option("--target-itl-ms", f.target_itl_ms, "target inter-token latency: steps sized to keep every stream under it")
      ->check(CLI::Range(0.0, 1e6));
}

Result<EngineOptions> engine_options(const EngineFlags& f, size_t num_models) {
  TB_ASSIGN_OR_RETURN(DType dtype, parse_kv_dtype(f.kv_dtype));
  EngineOptions eo;
  eo.backend.num_threads = f.threads;
  eo.kv_dtype = dtype;
  eo.kv_cache_bytes = f.kv_cache_bytes;
  eo.kv_cache_memory_fraction = f.kv_cache_memory_fraction / double(num_models);  // shared
  eo.block_size = f.block_size;
  eo.prefix_caching = !f.no_prefix_caching;
  eo.max_model_len = f.max_model_len;
  eo.max_num_seqs = f.max_num_seqs;
  eo.max_num_batched_tokens = f.max_num_batched_tokens;
  eo.max_prefill_chunk = f.max_prefill_chunk;
  eo.max_waiting_requests = f.max_waiting;
  eo.target_itl_seconds = f.target_itl_ms / 1000.0;
  eo.kv_events = true;  // a router's KV index, in process or across
  return eo;
}

}  // namespace turbine::cli
