#include "tokenizer/incremental_detokenizer.h"

#include "tokenizer/tokenizer.h"
#include "tokenizer/utf8.h"

namespace turbine {

IncrementalDetokenizer::IncrementalDetokenizer(const Tokenizer& tokenizer, bool skip_special)
    : tokenizer_(tokenizer), skip_special_(skip_special), spaces_to_strip_(tokenizer.decode_strip_spaces()) {}

std::string IncrementalDetokenizer::push(int32_t id) {
  if (id < 0 || id >= tokenizer_.vocab_size()) return {};
  if (skip_special_ && tokenizer_.is_special(id)) return {};
  std::string bytes = tokenizer_.token_bytes(id);
  if (at_start_) {
    // decode() strips up to N spaces from the start of the whole text; the start may span
    // several tokens when the first ones are empty or all spaces.
    size_t strip = 0;
    while (spaces_to_strip_ > 0 && strip < bytes.size() && bytes[strip] == ' ') {
      ++strip;
      --spaces_to_strip_;
    }
    bytes.erase(0, strip);
    if (bytes.empty()) return {};
    at_start_ = false;
  }
  pending_ += bytes;
  const size_t complete = utf8::complete_prefix_length(pending_);
  std::string out = utf8::sanitize(std::string_view(pending_).substr(0, complete));
  pending_.erase(0, complete);
  return out;
}

std::string IncrementalDetokenizer::flush() {
  std::string out = utf8::sanitize(pending_);
  pending_.clear();
  return out;
}

}  // namespace turbine
