// GET /v1/models and /v1/models/{id}: the served models as OpenAI lists them, with vLLM's
// extra fields (root, parent, max_model_len). Pure functions; any thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace turbine::api {

struct ModelCard {
  std::string id{};                        // the name clients put in "model"
  int64_t created = 0;                     // Unix time, seconds
  std::string owned_by = "turbine";
  std::string root{};                      // what it was loaded from; "": the id
  std::string parent{};                    // the base model of an adapter; "": null
  std::optional<int64_t> max_model_len{};  // context length in tokens; unset: not written
};

// {"id","object":"model","created","owned_by","root","parent","max_model_len"}
std::string model_card_json(const ModelCard& model);

// {"object":"list","data":[model cards]}
std::string model_list_json(const std::vector<ModelCard>& models);

}  // namespace turbine::api
