// Writes a loaded tokenizer as GGUF tokenizer.ggml.* metadata the way llama.cpp's converter does
// (gpt2: tokens, token_type, merges "a b"; llama: tokens, scores, token_type with byte tokens), so
// `turbine model make-test` can embed a real tokenizer in test GGUF files and a GGUF-loaded
// tokenizer gives the same ids as the tokenizer.json it came from. Any thread.
#pragma once

#include "base/status.h"
#include "model/gguf.h"
#include "tokenizer/tokenizer.h"

namespace turbine {

// kUnsupported when the tokenizer's text handling has no GGUF spelling (for example a regex
// other than Llama 3's, Qwen2's or GPT-2's, or NFC without Qwen2's regex).
Status write_tokenizer_to_gguf(const Tokenizer& tokenizer, GgufWriter& writer);

}  // namespace turbine
