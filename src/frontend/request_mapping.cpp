#include "frontend/request_mapping.h"

namespace turbine {

api::ApiResult<std::vector<int32_t>> chat_prompt_tokens(const ServedModel& model,
                                                        const nlohmann::json& template_messages,
                                                        const nlohmann::json& template_tools,
                                                        const api::ChatTemplateOptions& options,
                                                        bool add_special_tokens) {
  if (!model.chat_template)
    return api::invalid_request("model '" + model.name + "' has no chat template; use /v1/completions");
  const Tokenizer& tok = *model.tokenizer;
  nlohmann::json context = nlohmann::json::object();
  if (options.kwargs.is_object())
    for (const auto& [k, v] : options.kwargs.items()) context[k] = v;
  context["messages"] = template_messages;
  if (!template_tools.is_null()) context["tools"] = template_tools;
  context["add_generation_prompt"] = options.add_generation_prompt && !options.continue_final_message;
  context["bos_token"] = tok.bos_id() >= 0 ? tok.token_bytes(tok.bos_id()) : "";
  context["eos_token"] = tok.eos_id() >= 0 ? tok.token_bytes(tok.eos_id()) : "";
  auto text = model.chat_template->render(context);
  if (!text) return api::invalid_request(text.status().message(), "messages");
  std::string prompt = std::move(*text);
  if (options.continue_final_message) {
    // The model continues the last message: cut what the template wrote after its content.
    const auto& last = template_messages.back();
    if (last.contains("content") && last["content"].is_string()) {
      const std::string content = last["content"].get<std::string>();
      const size_t at = prompt.rfind(content);
      if (at != std::string::npos) prompt.resize(at + content.size());
    }
  }
  return tok.encode(prompt, add_special_tokens && tok.add_bos_default(), /*parse_special=*/true);
}

api::ApiResult<GenerationParams> engine_params(const api::GenerationParams& p, const ServedModel& model,
                                               int64_t num_prompt_tokens, int32_t logprobs,
                                               bool prompt_logprobs) {
  const int64_t context = model.max_model_len();
  if (num_prompt_tokens >= context)
    return api::invalid_request("This model's maximum context length is " + std::to_string(context) +
                                    " tokens. However, your request has " + std::to_string(num_prompt_tokens) +
                                    " input tokens. Please reduce the length of the input messages.",
                                "messages");
  GenerationParams g;
  g.max_tokens = p.max_tokens ? *p.max_tokens : context - num_prompt_tokens;
  if (num_prompt_tokens + g.max_tokens > context)
    return api::invalid_request("This model's maximum context length is " + std::to_string(context) +
                                    " tokens. However, you requested " +
                                    std::to_string(num_prompt_tokens + g.max_tokens) + " tokens (" +
                                    std::to_string(num_prompt_tokens) + " in the messages, " +
                                    std::to_string(g.max_tokens) +
                                    " in the completion). Please reduce the length of the messages or completion.",
                                "max_tokens");
  g.min_tokens = std::min<int64_t>(p.min_tokens, g.max_tokens);
  g.ignore_eos = p.ignore_eos;
  g.stop_token_ids = p.stop_token_ids;
  g.logprobs = logprobs;
  g.prompt_logprobs = prompt_logprobs;
  g.n = p.n;
  g.priority = p.priority;
  SamplingParams& s = g.sampling;
  s.temperature = p.temperature.value_or(1.0f);
  s.top_p = p.top_p.value_or(1.0f);
  s.top_k = p.top_k.value_or(0);
  s.min_p = p.min_p.value_or(0.0f);
  s.repetition_penalty = p.repetition_penalty.value_or(1.0f);
  s.presence_penalty = p.presence_penalty;
  s.frequency_penalty = p.frequency_penalty;
  if (p.seed) s.seed = uint64_t(*p.seed);
  return g;
}

}  // namespace turbine
