#include "api/completion_response.h"

#include "api/json_dump.h"

namespace turbine::api {
namespace {

using ojson = nlohmann::ordered_json;

ojson choices_json(const std::vector<CompletionChoice>& choices) {
  ojson out = ojson::array();
  for (const CompletionChoice& c : choices) {
    out.push_back({{"index", c.index},
                   {"text", c.text},
                   {"logprobs", c.logprobs ? completion_logprobs_json(*c.logprobs, c.text_offset) : ojson()},
                   {"finish_reason", c.finish_reason ? ojson(finish_reason_name(*c.finish_reason)) : ojson()}});
  }
  return out;
}

ojson header(const std::string& id, int64_t created, const std::string& model) {
  return {{"id", id}, {"object", "text_completion"}, {"created", created}, {"model", model}};
}

}  // namespace

std::string text_completion_json(const TextCompletion& completion) {
  ojson out = header(completion.id, completion.created, completion.model);
  out["choices"] = choices_json(completion.choices);
  out["usage"] = usage_json(completion.usage);
  return dump_json(out);
}

std::string text_completion_chunk_json(const TextCompletionChunk& chunk) {
  ojson out = header(chunk.id, chunk.created, chunk.model);
  out["choices"] = choices_json(chunk.choices);
  if (chunk.usage) {
    out["usage"] = usage_json(*chunk.usage);
  } else if (chunk.include_usage) {
    out["usage"] = nullptr;
  }
  return dump_json(out);
}

}  // namespace turbine::api
