// The request fields /v1/chat/completions and /v1/completions share: the model, how much to
// generate, when to stop, how to sample, streaming and priority. Plain values the frontend maps
// onto the engine's own types; the api floor knows nothing of the engine. Any thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "api/field_reader.h"

namespace turbine::api {

struct StreamOptions {
  bool include_usage = false;           // one last chunk with choices [] and the usage
  bool continuous_usage_stats = false;  // vLLM: usage on every chunk too
};

struct GenerationParams {
  std::string model{};                      // required
  std::optional<int32_t> max_tokens{};      // max_completion_tokens, else max_tokens; >= 1
                                            // unset (chat): up to the end of the context
  int32_t min_tokens = 0;                   // EOS and stop strings are ignored before this many tokens
  std::vector<std::string> stop{};          // at most 4, none empty
  std::vector<int32_t> stop_token_ids{};    // vLLM extension: ids that end generation like EOS
  bool include_stop_str_in_output = false;  // vLLM extension
  bool ignore_eos = false;
  bool skip_special_tokens = true;  // vLLM extension: in the detokenized text
  int32_t n = 1;                    // choices per prompt, [1, 128]
  std::optional<int64_t> seed{};    // unset: a random seed

  // Unset sampling fields take the model's generation_config.json value if it has one, else the
  // neutral value (vLLM's rule): temperature 1, top_p 1, top_k off, min_p 0, repetition 1.
  std::optional<float> temperature{};         // [0, 2]; 0 is greedy
  std::optional<float> top_p{};               // (0, 1]
  std::optional<int32_t> top_k{};             // -1 or 0: off
  std::optional<float> min_p{};               // [0, 1]
  std::optional<float> repetition_penalty{};  // > 0; 1 is off
  float presence_penalty = 0.0f;              // [-2, 2]
  float frequency_penalty = 0.0f;             // [-2, 2]

  bool stream = false;
  StreamOptions stream_options{};  // only allowed with stream = true
  int32_t priority = 0;            // lower is served first, as in vLLM
};

// Reads the shared fields from a request body (a JSON object) into *out; errors go to `reader`.
// `user`, `logit_bias` = {} and fields turbine does not know are accepted and ignored.
void read_generation_params(FieldReader& reader, GenerationParams* out);

}  // namespace turbine::api
