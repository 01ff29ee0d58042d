// Loading a checkpoint for inference: a GGUF file or a Hugging Face directory (config.json,
// model.safetensors or a sharded index, tokenizer.json, tokenizer_config.json). Every fault is an
// error that names the file and what is wrong. Immutable after load; any thread.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "base/status.h"
#include "model/gguf.h"
#include "model/model_config.h"
#include "model/model_weights.h"

namespace turbine {

enum class CheckpointFormat { kGguf, kSafetensors };

struct Checkpoint {
  std::string path;  // the .gguf file or the directory
  CheckpointFormat format = CheckpointFormat::kGguf;
  ModelConfig config;
  ModelWeights weights;
  int64_t num_parameters = 0;
  std::map<std::string, int64_t> tensors_by_dtype;  // "q4_K" -> number of tensors
  std::string chat_template;                        // empty when the checkpoint has none

  // Where the tokenizer comes from: GGUF metadata, or tokenizer.json (+ tokenizer_config.json).
  std::shared_ptr<const GgufFile> gguf;  // set for kGguf
  std::string tokenizer_json_path;       // set for kSafetensors
  std::string tokenizer_config_path;     // may be empty
};

Result<std::shared_ptr<const Checkpoint>> load_checkpoint(const std::string& path);

}  // namespace turbine
