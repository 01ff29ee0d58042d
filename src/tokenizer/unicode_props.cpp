// Why ICU rather than a generated table: the pre-tokenizers need three properties over all of
// Unicode and the Qwen tokenizers need full NFC (canonical decomposition, reordering by combining
// class, composition with exclusions), which a table of our own would have to regenerate and test
// for every Unicode release. Debian's libicu ships that data maintained, and its version (ICU 72,
// Unicode 15.0) is the one the JavaScript reference engine's tables follow closely.
#include "tokenizer/unicode_props.h"

#include <array>

#include <unicode/bytestream.h>
#include <unicode/normalizer2.h>
#include <unicode/uchar.h>

#include "base/check.h"
#include "tokenizer/utf8.h"

namespace turbine {

namespace {

std::array<uint8_t, 128> make_ascii_flags() {
  std::array<uint8_t, 128> flags{};
  for (uint32_t c = 0; c < 128; ++c) {
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) flags[c] = kCpLetter;
    if (c >= '0' && c <= '9') flags[c] = kCpNumber;
    // White_Space in ASCII: \t \n \v \f \r and space.
    if ((c >= 0x09 && c <= 0x0D) || c == 0x20) flags[c] = kCpWhitespace;
  }
  return flags;
}

const icu::Normalizer2* nfc_instance() {
  static const icu::Normalizer2* instance = [] {
    UErrorCode err = U_ZERO_ERROR;
    const icu::Normalizer2* n = icu::Normalizer2::getNFCInstance(err);
    TB_CHECK(U_SUCCESS(err) && n != nullptr, "ICU has no NFC data");
    return n;
  }();
  return instance;
}

}  // namespace

uint8_t codepoint_flags(uint32_t cp) {
  static const std::array<uint8_t, 128> kAscii = make_ascii_flags();
  if (cp < 128) return kAscii[cp];
  if (cp > 0x10FFFF) return 0;
  const auto c = static_cast<UChar32>(cp);
  uint8_t flags = 0;
  const uint32_t mask = U_GET_GC_MASK(c);
  if (mask & U_GC_L_MASK) flags |= kCpLetter;
  if (mask & U_GC_N_MASK) flags |= kCpNumber;
  if (u_hasBinaryProperty(c, UCHAR_WHITE_SPACE)) flags |= kCpWhitespace;
  return flags;
}

std::string nfc_normalize(std::string_view text) {
  bool ascii = true;
  for (char ch : text) ascii &= static_cast<uint8_t>(ch) < 0x80;
  if (ascii || !utf8::is_valid(text)) return std::string(text);
  const icu::Normalizer2* nfc = nfc_instance();
  const icu::StringPiece piece(text.data(), static_cast<int32_t>(text.size()));
  UErrorCode err = U_ZERO_ERROR;
  if (nfc->isNormalizedUTF8(piece, err) && U_SUCCESS(err)) return std::string(text);
  std::string out;
  icu::StringByteSink<std::string> sink(&out);
  err = U_ZERO_ERROR;
  nfc->normalizeUTF8(0, piece, sink, nullptr, err);
  if (U_FAILURE(err)) return std::string(text);
  return out;
}

}  // namespace turbine
