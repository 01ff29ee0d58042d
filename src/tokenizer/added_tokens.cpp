#include "tokenizer/added_tokens.h"

#include "tokenizer/unicode_props.h"
#include "tokenizer/utf8.h"

namespace turbine {

namespace {

bool whitespace_at(std::string_view text, size_t pos, size_t* len) {
  const uint32_t cp = utf8::decode_one(text, pos, len);
  return codepoint_flags(cp) & kCpWhitespace;
}

// Start of the whitespace run that ends at `end`, not going below `floor`.
size_t skip_whitespace_left(std::string_view text, size_t end, size_t floor) {
  while (end > floor) {
    size_t start = end - 1;  // back up to the lead byte of the previous character
    while (start > floor && (static_cast<uint8_t>(text[start]) & 0xC0) == 0x80) --start;
    size_t len = 0;
    if (!whitespace_at(text, start, &len) || start + len != end) break;
    end = start;
  }
  return end;
}

size_t skip_whitespace_right(std::string_view text, size_t pos) {
  size_t len = 0;
  while (pos < text.size() && whitespace_at(text, pos, &len)) pos += len;
  return pos;
}

}  // namespace

void AddedTokenMatcher::build(const std::vector<AddedToken>& tokens) {
  tokens_ = tokens;
  nodes_.assign(1, Node{});
  for (bool& b : first_byte_) b = false;
  for (size_t t = 0; t < tokens_.size(); ++t) {
    const std::string& content = tokens_[t].content;
    if (content.empty()) continue;
    first_byte_[static_cast<uint8_t>(content[0])] = true;
    int32_t node = 0;
    for (char ch : content) {
      const auto byte = static_cast<uint8_t>(ch);
      int32_t child = -1;
      for (const auto& [b, idx] : nodes_[node].children) {
        if (b == byte) child = idx;
      }
      if (child < 0) {
        child = static_cast<int32_t>(nodes_.size());
        nodes_[node].children.emplace_back(byte, child);
        nodes_.emplace_back();
      }
      node = child;
    }
    // Two added tokens with the same text: the first one listed wins.
    if (nodes_[node].token < 0) nodes_[node].token = static_cast<int32_t>(t);
  }
}

std::pair<int32_t, size_t> AddedTokenMatcher::longest_match(std::string_view text, size_t pos,
                                                            bool parse_special) const {
  std::pair<int32_t, size_t> best{-1, 0};
  int32_t node = 0;
  for (size_t i = pos; i < text.size(); ++i) {
    const auto byte = static_cast<uint8_t>(text[i]);
    int32_t child = -1;
    for (const auto& [b, idx] : nodes_[node].children) {
      if (b == byte) child = idx;
    }
    if (child < 0) break;
    node = child;
    const int32_t t = nodes_[node].token;
    if (t >= 0 && (parse_special || !tokens_[t].special)) best = {t, i + 1 - pos};
  }
  return best;
}

std::vector<InputSegment> AddedTokenMatcher::split(std::string_view text, bool parse_special) const {
  std::vector<InputSegment> segments;
  size_t text_start = 0;  // start of the plain text not yet emitted
  for (size_t pos = 0; pos < text.size();) {
    if (!first_byte_[static_cast<uint8_t>(text[pos])]) {
      ++pos;
      continue;
    }
    const auto [t, len] = longest_match(text, pos, parse_special);
    if (t < 0) {
      ++pos;
      continue;
    }
    const AddedToken& token = tokens_[t];
    const size_t begin = token.lstrip ? skip_whitespace_left(text, pos, text_start) : pos;
    const size_t end = token.rstrip ? skip_whitespace_right(text, pos + len) : pos + len;
    if (begin > text_start) segments.push_back({text.substr(text_start, begin - text_start), -1});
    segments.push_back({text.substr(begin, end - begin), token.id});
    pos = text_start = end;
  }
  if (text_start < text.size()) segments.push_back({text.substr(text_start), -1});
  return segments;
}

}  // namespace turbine
