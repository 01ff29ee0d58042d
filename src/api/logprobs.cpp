#include "api/logprobs.h"

#include <cmath>

namespace turbine::api {
namespace {

constexpr double kMinLogprob = -9999.0;  // vLLM's floor; JSON cannot hold -inf

double finite_logprob(std::optional<float> logprob) {
  if (!logprob || !std::isfinite(*logprob)) return kMinLogprob;
  return *logprob;
}

nlohmann::ordered_json byte_values(const std::string& token) {
  nlohmann::ordered_json bytes = nlohmann::ordered_json::array();
  for (const char c : token) bytes.push_back(int(static_cast<unsigned char>(c)));
  return bytes;
}

nlohmann::ordered_json chat_entry(const std::string& token, double logprob) {
  return {{"token", token}, {"logprob", logprob}, {"bytes", byte_values(token)}};
}

// Length in bytes of the UTF-8 sequence starting at text[i] if it is well-formed, else 0.
size_t valid_sequence_length(std::string_view text, size_t i) {
  const auto b = [&](size_t k) { return static_cast<unsigned char>(text[k]); };
  const unsigned char lead = b(i);
  if (lead < 0x80) return 1;
  size_t len = 0;
  unsigned char lo = 0x80, hi = 0xBF;  // allowed range of the second byte
  if (lead >= 0xC2 && lead <= 0xDF) {
    len = 2;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    len = 3;
    if (lead == 0xE0) lo = 0xA0;  // overlong
    if (lead == 0xED) hi = 0x9F;  // surrogates
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    len = 4;
    if (lead == 0xF0) lo = 0x90;  // overlong
    if (lead == 0xF4) hi = 0x8F;  // above U+10FFFF
  } else {
    return 0;
  }
  if (i + len > text.size() || b(i + 1) < lo || b(i + 1) > hi) return 0;
  for (size_t k = 2; k < len; ++k) {
    if (b(i + k) < 0x80 || b(i + k) > 0xBF) return 0;
  }
  return len;
}

}  // namespace

nlohmann::ordered_json chat_logprobs_json(const std::vector<TokenLogprob>& tokens) {
  nlohmann::ordered_json content = nlohmann::ordered_json::array();
  for (const TokenLogprob& t : tokens) {
    nlohmann::ordered_json entry = chat_entry(t.token, finite_logprob(t.logprob));
    nlohmann::ordered_json top = nlohmann::ordered_json::array();
    for (const TopLogprob& alt : t.top) top.push_back(chat_entry(alt.token, finite_logprob(alt.logprob)));
    entry["top_logprobs"] = std::move(top);
    content.push_back(std::move(entry));
  }
  return {{"content", std::move(content)}};
}

nlohmann::ordered_json completion_logprobs_json(const std::vector<TokenLogprob>& tokens, int64_t text_offset) {
  nlohmann::ordered_json token_texts = nlohmann::ordered_json::array();
  nlohmann::ordered_json token_logprobs = nlohmann::ordered_json::array();
  nlohmann::ordered_json top_logprobs = nlohmann::ordered_json::array();
  nlohmann::ordered_json offsets = nlohmann::ordered_json::array();
  for (const TokenLogprob& t : tokens) {
    token_texts.push_back(t.token);
    token_logprobs.push_back(t.logprob ? nlohmann::ordered_json(finite_logprob(t.logprob)) : nullptr);
    if (!t.logprob && t.top.empty()) {
      top_logprobs.push_back(nullptr);
    } else {
      nlohmann::ordered_json top = nlohmann::ordered_json::object();
      for (const TopLogprob& alt : t.top) top[alt.token] = finite_logprob(alt.logprob);
      top_logprobs.push_back(std::move(top));
    }
    offsets.push_back(text_offset);
    text_offset += text_length(t.token);
  }
  return {{"tokens", std::move(token_texts)},
          {"token_logprobs", std::move(token_logprobs)},
          {"top_logprobs", std::move(top_logprobs)},
          {"text_offset", std::move(offsets)}};
}

int64_t text_length(std::string_view text) {
  int64_t n = 0;
  for (size_t i = 0; i < text.size(); ++n) {
    const size_t len = valid_sequence_length(text, i);
    i += len == 0 ? 1 : len;
  }
  return n;
}

}  // namespace turbine::api
