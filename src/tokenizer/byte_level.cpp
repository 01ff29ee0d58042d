#include "tokenizer/byte_level.h"

#include <array>

#include "tokenizer/utf8.h"

namespace turbine::byte_level {

namespace {

struct Tables {
  std::array<uint32_t, 256> byte_to_cp{};
  std::array<int16_t, 512> cp_to_byte{};  // every mapped code point is below 0x144
  std::array<std::string, 256> byte_to_utf8;
};

// openai/gpt-2 encoder.py bytes_to_unicode(): printable Latin-1 bytes map to themselves, the
// other 68 bytes to 256, 257, ... in byte order.
Tables make_tables() {
  Tables t;
  t.cp_to_byte.fill(-1);
  uint32_t next = 256;
  for (uint32_t b = 0; b < 256; ++b) {
    const bool printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
    const uint32_t cp = printable ? b : next++;
    t.byte_to_cp[b] = cp;
    t.cp_to_byte[cp] = static_cast<int16_t>(b);
    utf8::append(t.byte_to_utf8[b], cp);
  }
  return t;
}

const Tables& tables() {
  static const Tables t = make_tables();
  return t;
}

}  // namespace

uint32_t byte_to_codepoint(uint8_t b) { return tables().byte_to_cp[b]; }

std::optional<uint8_t> codepoint_to_byte(uint32_t cp) {
  if (cp >= tables().cp_to_byte.size() || tables().cp_to_byte[cp] < 0) return std::nullopt;
  return static_cast<uint8_t>(tables().cp_to_byte[cp]);
}

std::string encode(std::string_view bytes) {
  const Tables& t = tables();
  std::string out;
  out.reserve(bytes.size() * 2);
  for (char c : bytes) out += t.byte_to_utf8[static_cast<uint8_t>(c)];
  return out;
}

std::string decode(std::string_view token_text) {
  std::string out;
  out.reserve(token_text.size());
  for (size_t pos = 0; pos < token_text.size();) {
    size_t len = 0;
    const uint32_t cp = utf8::decode_one(token_text, pos, &len);
    const std::optional<uint8_t> b = cp == utf8::kInvalid ? std::nullopt : codepoint_to_byte(cp);
    if (b) {
      out.push_back(static_cast<char>(*b));
    } else {
      out.append(token_text.substr(pos, len));
    }
    pos += len;
  }
  return out;
}

}  // namespace turbine::byte_level
