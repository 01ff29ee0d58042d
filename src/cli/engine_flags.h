// The engine's command-line options, shared by `turbine serve` (one engine per model) and
// `turbine worker` (one engine), so both spell and check them the same way.
#pragma once

#include <cstdint>
#include <string>

#include <CLI/CLI.hpp>

#include "base/status.h"
#include "engine/engine.h"

namespace turbine::cli {

struct EngineFlags {
  int threads = 0;
  std::string kv_dtype = "f16";
  int64_t kv_cache_bytes = 0;
  double kv_cache_memory_fraction = 0.25;
  int block_size = 16;
  bool no_prefix_caching = false;
  int64_t max_model_len = 0;
  int max_num_seqs = 64;
  int64_t max_num_batched_tokens = 512;
  int64_t max_prefill_chunk = 0;
  int max_waiting = 256;
  double target_itl_ms = 0.0;
};

// `per_model`: serve's wording (sizes are per model, the memory fraction shared by them).
void add_engine_options(CLI::App& cmd, EngineFlags& f);

// The engine options the flags say; kInvalidArgument for a bad --kv-dtype. `num_models` shares
// the memory fraction between the engines of one process.
Result<EngineOptions> engine_options(const EngineFlags& f, size_t num_models = 1);

}  // namespace turbine::cli
