#include "api/model_list.h"

#include <nlohmann/json.hpp>

#include "api/json_dump.h"

namespace turbine::api {
namespace {

nlohmann::ordered_json card(const ModelCard& m) {
  const nlohmann::ordered_json parent = m.parent.empty() ? nlohmann::ordered_json() : nlohmann::ordered_json(m.parent);
  nlohmann::ordered_json out = {{"id", m.id},         {"object", "model"},
                                {"created", m.created}, {"owned_by", m.owned_by},
                                {"root", m.root.empty() ? m.id : m.root}, {"parent", parent}};
  if (m.max_model_len) out["max_model_len"] = *m.max_model_len;
  return out;
}

}  // namespace

std::string model_card_json(const ModelCard& model) { return dump_json(card(model)); }

std::string model_list_json(const std::vector<ModelCard>& models) {
  nlohmann::ordered_json data = nlohmann::ordered_json::array();
  for (const ModelCard& m : models) data.push_back(card(m));
  return dump_json(nlohmann::ordered_json{{"object", "list"}, {"data", std::move(data)}});
}

}  // namespace turbine::api
