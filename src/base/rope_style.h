// How RoPE pairs the dimensions of a head; shared by model/ (which reads it from a checkpoint)
// and backend/ (which applies it).
#pragma once

namespace turbine {

enum class RopeStyle {
  kInterleaved,  // pairs (2i, 2i+1): GGUF llama files, whose Q/K rows the converter permuted
  kNeox,         // pairs (i, i + d/2): Hugging Face checkpoints, GGUF qwen2/qwen3
};

}  // namespace turbine
