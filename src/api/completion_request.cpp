#include "api/completion_request.h"

#include <limits>

namespace turbine::api {
namespace {

constexpr int32_t kDefaultMaxTokens = 16;  // OpenAI's and vLLM's default for completions

ApiError bad_prompt(const std::string& message) { return invalid_request(message, "prompt"); }

// Token ids in [0, 2^31): whether each is in the vocabulary is the frontend's check.
ApiResult<std::vector<int32_t>> read_token_ids(const nlohmann::json& ids) {
  if (ids.empty()) return bad_prompt("'prompt' must not be empty");
  std::vector<int32_t> out;
  out.reserve(ids.size());
  for (const nlohmann::json& id : ids) {
    const std::optional<int64_t> v = json_integer(id);
    if (!v || *v < 0 || *v > std::numeric_limits<int32_t>::max()) {
      return bad_prompt("'prompt' token ids must be integers in [0, 2147483647], got " +
                        (id.is_number() ? id.dump() : json_type_name(id)));
    }
    out.push_back(int32_t(*v));
  }
  return out;
}

ApiResult<std::vector<Prompt>> read_prompts(const nlohmann::json* prompt) {
  const char* kShape = "'prompt' must be a string, an array of strings, an array of token ids, or an array of "
                       "arrays of token ids";
  if (!prompt) return bad_prompt("'prompt' is required");
  std::vector<Prompt> out;
  if (prompt->is_string()) {
    if (prompt->get_ref<const std::string&>().empty()) return bad_prompt("'prompt' must not be empty");
    out.emplace_back(prompt->get<std::string>());
    return out;
  }
  if (!prompt->is_array()) return bad_prompt(std::string(kShape) + ", got " + json_type_name(*prompt));
  if (prompt->empty()) return bad_prompt("'prompt' must not be empty");
  const nlohmann::json& first = prompt->front();
  if (first.is_number()) {  // one prompt as token ids
    ApiResult<std::vector<int32_t>> ids = read_token_ids(*prompt);
    if (!ids) return ids.error();
    out.emplace_back(std::move(ids).value());
    return out;
  }
  for (const nlohmann::json& item : *prompt) {  // a batch
    if (first.is_string() && item.is_string()) {
      if (item.get_ref<const std::string&>().empty()) return bad_prompt("'prompt' must not hold an empty string");
      out.emplace_back(item.get<std::string>());
    } else if (first.is_array() && item.is_array()) {
      ApiResult<std::vector<int32_t>> ids = read_token_ids(item);
      if (!ids) return ids.error();
      out.emplace_back(std::move(ids).value());
    } else {
      return bad_prompt(kShape);
    }
  }
  return out;
}

void read_completion_options(FieldReader& reader, CompletionRequest* out) {
  if (auto v = reader.boolean("echo")) out->echo = *v;
  if (auto v = reader.integer("logprobs", 0, 5)) out->logprobs = int32_t(*v);
  if (auto v = reader.boolean("add_special_tokens")) out->add_special_tokens = *v;
  if (auto suffix = reader.string("suffix"); suffix && !suffix->empty()) {
    reader.fail("suffix", "'suffix' is not supported yet");
  }
  if (auto best_of = reader.integer("best_of", 1, 128); best_of && *best_of != out->params.n) {
    reader.fail("best_of", "'best_of' must equal 'n' (" + std::to_string(out->params.n) + "), got " +
                               std::to_string(*best_of));
  }
}

}  // namespace

ApiResult<CompletionRequest> parse_completion_request(std::string_view body) {
  ApiResult<nlohmann::json> json = parse_request_body(body);
  if (!json) return json.error();
  FieldReader reader(*json);
  CompletionRequest out;
  read_generation_params(reader, &out.params);
  if (reader.failed()) return reader.error();
  if (!out.params.max_tokens) out.params.max_tokens = kDefaultMaxTokens;
  if (out.params.min_tokens > *out.params.max_tokens) {
    return invalid_request("'min_tokens' (" + std::to_string(out.params.min_tokens) +
                               ") must not exceed 'max_tokens' (" + std::to_string(*out.params.max_tokens) + ")",
                           "min_tokens");
  }
  ApiResult<std::vector<Prompt>> prompts = read_prompts(reader.value("prompt"));
  if (!prompts) return prompts.error();
  out.prompts = std::move(prompts).value();
  read_completion_options(reader, &out);
  if (reader.failed()) return reader.error();
  return out;
}

}  // namespace turbine::api
