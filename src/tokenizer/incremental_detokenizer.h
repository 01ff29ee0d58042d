// Streaming detokenization: turns generated token ids into text as they arrive, never emitting
// part of a UTF-8 character (a character split across byte-fallback tokens or byte-level BPE
// tokens is held back until complete). The concatenation of everything push() and flush() return
// equals Tokenizer::decode(ids, skip_special) of the same ids, including SentencePiece's removal
// of the leading space at the start of the text. One instance per sequence; not thread-safe.
#pragma once

#include <cstdint>
#include <string>

namespace turbine {

class Tokenizer;

class IncrementalDetokenizer {
 public:
  // `tokenizer` must outlive this object.
  explicit IncrementalDetokenizer(const Tokenizer& tokenizer, bool skip_special = true);

  std::string push(int32_t id);  // the text that became complete with this token (maybe "")
  std::string flush();           // what is left; an unfinished character becomes U+FFFD

 private:
  const Tokenizer& tokenizer_;
  bool skip_special_;
  int32_t spaces_to_strip_;  // leading spaces still to drop from the start of the text
  bool at_start_ = true;     // no byte has been emitted or held yet
  std::string pending_;      // bytes of an unfinished character
};

}  // namespace turbine
