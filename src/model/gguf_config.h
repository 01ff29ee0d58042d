// GGUF metadata <-> ModelConfig for the architectures turbine runs: general.architecture llama
// (Mistral files say llama too), qwen2, qwen3. Pure functions; any thread.
#pragma once

#include "base/status.h"
#include "model/gguf.h"
#include "model/model_config.h"

namespace turbine {

// Reads `<arch>.*` hyper-parameters, the llama3 rope factors (tensor `rope_freqs.weight`, or
// `<arch>.rope.scaling.*` keys), and whether embeddings are tied (no `output.weight`).
// GGUF llama files have permuted Q/K rows: their RoPE style is kInterleaved; qwen2/qwen3 kNeox.
// Errors name the file and the key.
Result<ModelConfig> config_from_gguf(const GgufFile& file);

// Writes general.architecture and the `<arch>.*` keys llama.cpp reads for `config`. Neither the
// tokenizer nor tensors (the caller adds `rope_freqs.weight` for llama3 scaling).
void write_gguf_config(const ModelConfig& config, GgufWriter& writer);


}  // namespace turbine
