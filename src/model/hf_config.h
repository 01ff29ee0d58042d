// Hugging Face config.json <-> ModelConfig for the architectures turbine runs: LlamaForCausalLM,
// MistralForCausalLM (run as llama), Qwen2ForCausalLM, Qwen3ForCausalLM. Pure functions; any thread.
#pragma once

#include <string>

#include "base/dtype.h"
#include "base/status.h"
#include "model/model_config.h"

namespace turbine {

// Parses config.json text; `path` names the file in every error. Hugging Face checkpoints use
// NeoX-style RoPE. An unknown architecture, rope_scaling type or activation is kUnsupported.
Result<ModelConfig> parse_hf_config(const std::string& json_text, const std::string& path);
Result<ModelConfig> load_hf_config(const std::string& path);

// config.json text for `config`. `hf_architecture` is the class name to write
// ("MistralForCausalLM" for a Mistral model, which ModelConfig calls llama); `torch_dtype` the
// dtype the safetensors hold.
std::string hf_config_json(const ModelConfig& config, const std::string& hf_architecture, DType torch_dtype);

}  // namespace turbine
