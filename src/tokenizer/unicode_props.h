// Unicode character classes and normalization that pre-tokenizer regexes and normalizers need:
// \p{L}, \p{N}, \s (the White_Space property, as Oniguruma and the Hugging Face tokenizers use
// it) and NFC. Backed by ICU (see unicode_props.cpp for why). Pure functions; any thread.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace turbine {

enum CodepointFlags : uint8_t {
  kCpLetter = 1 << 0,      // General_Category L (Lu Ll Lt Lm Lo)
  kCpNumber = 1 << 1,      // General_Category N (Nd Nl No)
  kCpWhitespace = 1 << 2,  // White_Space property
};

uint8_t codepoint_flags(uint32_t cp);  // 0 for utf8::kInvalid

// NFC form of `text`. Text that is not valid UTF-8 is returned unchanged (there is nothing
// sound to compose, and byte-level BPE still encodes every byte).
std::string nfc_normalize(std::string_view text);

}  // namespace turbine
