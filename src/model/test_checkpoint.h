// Small random-weight checkpoints for `turbine model make-test` and tests: the same spec and seed
// give the same logical model as a Hugging Face directory or as a GGUF file, so an engine run on
// either must produce the same logits (up to the weight dtype's rounding). Any thread.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "base/dtype.h"
#include "base/status.h"
#include "model/checkpoint.h"
#include "model/gguf.h"

namespace turbine {

struct TestCheckpointSpec {
  std::string output_path;  // Hugging Face: a directory (created); GGUF: the .gguf file
  CheckpointFormat format = CheckpointFormat::kSafetensors;
  std::string arch = "llama";        // llama, mistral (written as llama in GGUF), qwen2, qwen3
  bool llama3_rope_scaling = false;  // llama / mistral: factor 8, low 1, high 4, original 8192
  // HF: f32, f16, bf16. GGUF: also q8_0, q4_0, q6_K, and q4_K meaning a Q4_K_M-like mix (Q4_K,
  // with attn_v / ffn_down / embeddings / output in Q6_K). 1-D tensors are always f32 in GGUF.
  DType dtype = DType::kF32;
  uint64_t seed = 1;

  int64_t hidden_size = 256;
  int64_t num_layers = 2;
  int64_t num_heads = 4;
  int64_t num_kv_heads = 2;
  int64_t head_dim = 64;
  int64_t ffn_size = 512;
  int64_t vocab_size = 0;        // 0: one past the largest id in tokenizer_json_path
  int64_t context_length = 4096;
  float rope_theta = 0.0f;       // 0: 10000 (llama), 500000 (llama3 scaling), 1000000 (qwen)
  float rms_norm_eps = 1e-5f;
  bool tied_embeddings = false;

  std::string tokenizer_json_path;    // HF: copied into the directory (required there)
  std::string tokenizer_config_path;  // HF: copied when set
  std::string chat_template;          // HF: into tokenizer_config.json; GGUF: tokenizer.chat_template
  // GGUF: writes the tokenizer.* metadata (required there; the tokenizer module provides it).
  std::function<Status(GgufWriter&)> write_tokenizer;
};

Status write_test_checkpoint(const TestCheckpointSpec& spec);

// The ModelConfig a spec describes (what load_checkpoint of its output must read back, except
// for the GGUF-only rope style and rope factors). Errors for a bad arch or sizes.
Result<ModelConfig> test_checkpoint_config(const TestCheckpointSpec& spec);

// Largest token id + 1 in a tokenizer.json (model.vocab and added_tokens).
Result<int64_t> tokenizer_json_vocab_size(const std::string& path);

}  // namespace turbine
