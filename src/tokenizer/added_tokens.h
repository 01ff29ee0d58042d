// Added tokens (special and user-defined: "<|eot_id|>", "<think>", "<s>") are cut out of the input
// before any normalization or BPE: at each position the longest token text that starts there wins
// (leftmost-longest, as Hugging Face's AddedVocabulary does). Immutable after build; any thread.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace turbine {

struct AddedToken {
  int32_t id = -1;
  std::string content;   // raw text matched in the input (never normalized)
  bool special = false;  // control token: cut out only when parse_special; skipped by skip_special
  bool lstrip = false;   // a match also swallows the whitespace on its left
  bool rstrip = false;   // ... and on its right
};

// A piece of the input: added token `id`, or plain text to tokenize when id < 0.
struct InputSegment {
  std::string_view text;
  int32_t id = -1;
};

class AddedTokenMatcher {
 public:
  void build(const std::vector<AddedToken>& tokens);

  // Splits `text`. With parse_special false, special tokens are plain text; non-special added
  // tokens are still cut out (Hugging Face's encode_special_tokens, llama.cpp's parse_special).
  std::vector<InputSegment> split(std::string_view text, bool parse_special) const;

 private:
  struct Node {
    std::vector<std::pair<uint8_t, int32_t>> children;  // byte -> node index
    int32_t token = -1;                                 // index into tokens_ when a text ends here
  };
  // The longest allowed token starting at text[pos]: index into tokens_ and its length.
  std::pair<int32_t, size_t> longest_match(std::string_view text, size_t pos, bool parse_special) const;

  std::vector<AddedToken> tokens_;
  std::vector<Node> nodes_;   // trie over token bytes; nodes_[0] is the root
  bool first_byte_[256] = {};  // quick reject: can a token start with this byte?
};

}  // namespace turbine
