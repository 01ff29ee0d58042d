// Token log-probabilities as OpenAI writes them: the chat format ({"content":[{token, logprob,
// bytes, top_logprobs}]}) and the legacy completions format (parallel arrays tokens,
// token_logprobs, top_logprobs, text_offset). Pure functions; any thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace turbine::api {

struct TopLogprob {
  std::string token{};  // raw bytes of the token's text; need not be valid UTF-8
  float logprob = 0.0f;
};

struct TokenLogprob {
  std::string token{};             // raw bytes of the token's text; may be part of a UTF-8 character
  std::optional<float> logprob{};  // natural log; unset: not scored (the first prompt token under echo)
  std::vector<TopLogprob> top{};   // the most likely tokens at this position, best first
};

// {"content":[{"token","logprob","bytes":[...],"top_logprobs":[{"token","logprob","bytes"}]}]}.
// Log-probabilities that are -inf, NaN or unset are written as -9999.0, as vLLM clamps them
// (JSON has no infinity).
nlohmann::ordered_json chat_logprobs_json(const std::vector<TokenLogprob>& tokens);

// {"tokens":[...],"token_logprobs":[...],"top_logprobs":[{token: logprob}],"text_offset":[...]}.
// The first token starts `text_offset` characters into the choice's text (streaming: the
// characters already sent); each next one starts text_length(previous token) later. An unset
// logprob is written null, and its top_logprobs entry null when it has no alternatives.
nlohmann::ordered_json completion_logprobs_json(const std::vector<TokenLogprob>& tokens, int64_t text_offset = 0);

// Characters in `text` as text_offset counts them: code points (Python's len(), which vLLM
// uses); a byte that is not part of a valid character counts as one.
int64_t text_length(std::string_view text);

}  // namespace turbine::api
