// Prompt text for the load generator, made up on the spot from a built-in vocabulary of common
// English words so nothing has to be downloaded. With a tokenizer (the served model's) lengths
// are counted in its tokens; without one, in estimated tokens (kTokensPerWord). Immutable
// after construction; any thread, each with its own generator.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "base/status.h"
#include "loadgen/distribution.h"

namespace turbine {
class Tokenizer;
}

namespace turbine::loadgen {

// Llama 3's tokenizer spends about this many tokens per word of the built-in text, the space
// and punctuation included (1.133 over 17,857 words; workload_test checks it stays within 3%).
inline constexpr double kTokensPerWord = 1.13;

class TextSynthesizer {
 public:
  explicit TextSynthesizer(std::shared_ptr<const Tokenizer> tokenizer = nullptr);

  // Loads the tokenizer of a model: a tokenizer.json file, a Hugging Face directory holding
  // one, or a .gguf file.
  static Result<std::shared_ptr<const Tokenizer>> load_tokenizer(const std::string& path);

  // Sentences of about `num_tokens` tokens: exactly that many tokens of the tokenizer when
  // there is one (a later re-tokenization of the text may differ by one at the end).
  std::string text(int64_t num_tokens, Rng& rng) const;

  // Tokens in `text`: the tokenizer's count, or the word estimate.
  int64_t count_tokens(std::string_view text) const;
  bool counts_exactly() const { return tokenizer_ != nullptr; }

 private:
  std::string words(int64_t num_words, Rng& rng) const;
  std::shared_ptr<const Tokenizer> tokenizer_;
};

}  // namespace turbine::loadgen
