// GPT-2's byte-to-unicode mapping, used by byte-level BPE vocabularies (Llama 3, Qwen): each of
// the 256 byte values is spelled as one printable code point ("Ġ" for space, "Ċ" for newline), so
// a vocabulary entry is a string of those code points. Pure functions; any thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace turbine::byte_level {

// The code point that stands for byte `b`.
uint32_t byte_to_codepoint(uint8_t b);

// The byte a code point stands for; nullopt for a code point outside the mapping.
std::optional<uint8_t> codepoint_to_byte(uint32_t cp);

// Raw bytes -> the vocabulary spelling ("a b" -> "aĠb").
std::string encode(std::string_view bytes);

// Vocabulary spelling -> raw bytes. A code point outside the mapping keeps its UTF-8 bytes.
std::string decode(std::string_view token_text);

}  // namespace turbine::byte_level
