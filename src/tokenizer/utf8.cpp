#include "tokenizer/utf8.h"

namespace turbine::utf8 {

namespace {

// Number of bytes a sequence starting with `lead` has, or 0 when `lead` cannot start one.
int sequence_length(uint8_t lead) {
  if (lead < 0x80) return 1;
  if (lead >= 0xC2 && lead <= 0xDF) return 2;
  if (lead >= 0xE0 && lead <= 0xEF) return 3;
  if (lead >= 0xF0 && lead <= 0xF4) return 4;
  return 0;  // continuation byte, C0/C1 (overlong), F5..FF
}

// Valid range of the second byte given the lead (Unicode Table 3-7); later bytes are 80..BF.
bool second_byte_ok(uint8_t lead, uint8_t b) {
  if (lead == 0xE0) return b >= 0xA0 && b <= 0xBF;  // no overlong 3-byte forms
  if (lead == 0xED) return b >= 0x80 && b <= 0x9F;  // no surrogates
  if (lead == 0xF0) return b >= 0x90 && b <= 0xBF;  // no overlong 4-byte forms
  if (lead == 0xF4) return b >= 0x80 && b <= 0x8F;  // nothing above U+10FFFF
  return b >= 0x80 && b <= 0xBF;
}

}  // namespace

uint32_t decode_one(std::string_view text, size_t pos, size_t* len) {
  const auto* s = reinterpret_cast<const uint8_t*>(text.data());
  const size_t n = text.size();
  const uint8_t lead = s[pos];
  const int need = sequence_length(lead);
  if (need == 1) {
    *len = 1;
    return lead;
  }
  if (need == 0) {
    *len = 1;
    return kInvalid;
  }
  uint32_t cp = lead & (0xFF >> (need + 1));
  for (int i = 1; i < need; ++i) {
    if (pos + i >= n) {  // truncated: the subpart so far is one ill-formed unit
      *len = i;
      return kInvalid;
    }
    const uint8_t b = s[pos + i];
    const bool ok = (i == 1) ? second_byte_ok(lead, b) : (b >= 0x80 && b <= 0xBF);
    if (!ok) {
      *len = i;
      return kInvalid;
    }
    cp = (cp << 6) | (b & 0x3F);
  }
  *len = need;
  return cp;
}

void append(std::string& out, uint32_t cp) {
  if (cp < 0x80) {
    out.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

bool is_valid(std::string_view text) {
  for (size_t pos = 0; pos < text.size();) {
    if (static_cast<uint8_t>(text[pos]) < 0x80) {
      ++pos;
      continue;
    }
    size_t len = 0;
    if (decode_one(text, pos, &len) == kInvalid) return false;
    pos += len;
  }
  return true;
}

std::string sanitize(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t pos = 0; pos < text.size();) {
    size_t len = 0;
    const uint32_t cp = decode_one(text, pos, &len);
    if (cp == kInvalid) {
      append(out, kReplacementChar);
    } else {
      out.append(text.substr(pos, len));
    }
    pos += len;
  }
  return out;
}

size_t complete_prefix_length(std::string_view bytes) {
  // Only the last (at most 3) bytes can be an unfinished sequence: find the last lead byte.
  const size_t n = bytes.size();
  for (size_t back = 1; back <= 4 && back <= n; ++back) {
    const auto b = static_cast<uint8_t>(bytes[n - back]);
    if (b >= 0x80 && b <= 0xBF) continue;  // continuation: keep looking for its lead
    const int need = sequence_length(b);
    if (need <= static_cast<int>(back)) return n;  // finished (or not a lead at all)
    // A lead with fewer bytes after it than it needs: unfinished only if what follows is a
    // valid beginning; otherwise it is already ill-formed and counts as finished.
    size_t len = 0;
    decode_one(bytes, n - back, &len);
    return len == back ? n - back : n;
  }
  return n;
}

}  // namespace turbine::utf8
