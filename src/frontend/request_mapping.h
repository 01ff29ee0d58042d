// From parsed OpenAI requests to what the engine runs: the chat prompt rendered with the model's
// template and tokenized, and the engine's GenerationParams with the context checked (vLLM's
// rules and messages). Pure functions of the request and the model; any thread.
#pragma once

#include <string>
#include <vector>

#include "api/chat_request.h"
#include "api/generation_params.h"
#include "engine/request.h"
#include "frontend/served_model.h"

namespace turbine {

// The messages rendered by the model's chat template and tokenized. 400 when the model has no
// template or the template refuses the conversation (raise_exception).
api::ApiResult<std::vector<int32_t>> chat_prompt_tokens(const ServedModel& model,
                                                        const nlohmann::json& template_messages,
                                                        const nlohmann::json& template_tools,
                                                        const api::ChatTemplateOptions& options,
                                                        bool add_special_tokens);

// Engine parameters for a prompt of `num_prompt_tokens`. max_tokens unset: the rest of the
// context. 400 when the prompt and max_tokens do not fit the model's context.
api::ApiResult<GenerationParams> engine_params(const api::GenerationParams& p, const ServedModel& model,
                                               int64_t num_prompt_tokens, int32_t logprobs,
                                               bool prompt_logprobs);

}  // namespace turbine
