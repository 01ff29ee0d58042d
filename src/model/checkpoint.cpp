#include "model/checkpoint.h"

#include <filesystem>
#include <nlohmann/json.hpp>

#include "base/mapped_file.h"
#include "model/gguf_config.h"
#include "model/hf_config.h"
#include "model/safetensors.h"
#include "model/weight_binder.h"

namespace turbine {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;

bool is_file(const std::string& p) {
  std::error_code ec;
  return fs::is_regular_file(p, ec);
}

TensorLookup map_lookup(const std::map<std::string, StoredTensor>& table) {
  return [&table](const std::string& name) -> const StoredTensor* {
    const auto it = table.find(name);
    return it == table.end() ? nullptr : &it->second;
  };
}

void fill_from_bound(BoundWeights bound, Checkpoint* ck) {
  ck->weights = std::move(bound.weights);
  ck->num_parameters = bound.num_parameters;
  ck->tensors_by_dtype = std::move(bound.tensors_by_dtype);
}

Result<std::shared_ptr<const Checkpoint>> load_gguf(const std::string& path) {
  TB_ASSIGN_OR_RETURN(std::shared_ptr<GgufFile> g, GgufFile::open(path));
  auto ck = std::make_shared<Checkpoint>();
  ck->path = path;
  ck->format = CheckpointFormat::kGguf;
  TB_ASSIGN_OR_RETURN(ck->config, config_from_gguf(*g));

  std::map<std::string, StoredTensor> table;
  for (const GgufTensorInfo& t : g->tensors()) {
    StoredTensor& s = table[t.name];
    s.file = path;
    s.type_name = std::string(ggml_type_name(t.ggml_type));
    s.dtype = dtype_from_ggml(t.ggml_type);
    if (t.data == nullptr) s.dtype.reset();
    s.dims = t.dims;
    s.data = t.data;
    s.num_bytes = t.num_bytes;
  }
  TB_ASSIGN_OR_RETURN(BoundWeights bound, bind_weights(ck->config, TensorNaming::kGguf, map_lookup(table), path));
  fill_from_bound(std::move(bound), ck.get());
  ck->weights.storage.push_back(g);

  auto tmpl = g->get_string("tokenizer.chat_template");
  if (!tmpl.is_ok()) return tmpl.status();
  ck->chat_template = tmpl->value_or("");
  ck->gguf = std::move(g);
  return std::shared_ptr<const Checkpoint>(std::move(ck));
}

// tokenizer_config.json "chat_template": a string, or a list of {"name", "template"} where the
// one named "default" is the chat template (else the first).
Result<std::string> chat_template_from_tokenizer_config(const std::string& path) {
  TB_ASSIGN_OR_RETURN(const std::string text, read_text_file(path));
  const json j = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) return invalid_argument(path + ": not a JSON object");
  const auto it = j.find("chat_template");
  if (it == j.end() || it->is_null()) return std::string();
  if (it->is_string()) return it->get<std::string>();
  if (!it->is_array()) return invalid_argument(path + ": \"chat_template\" must be a string or a list");
  std::string first, chosen;
  for (const json& e : *it) {
    if (!e.is_object() || !e.contains("template") || !e["template"].is_string())
      return invalid_argument(path + ": \"chat_template\" list entries must be {\"name\", \"template\"}");
    const std::string t = e["template"].get<std::string>();
    if (first.empty()) first = t;
    if (e.contains("name") && e["name"] == "default") chosen = t;
  }
  return chosen.empty() ? first : chosen;
}

Status read_hf_tokenizer_files(const std::string& dir, Checkpoint* ck) {
  ck->tokenizer_json_path = dir + "/tokenizer.json";
  if (!is_file(ck->tokenizer_json_path))
    return not_found(dir + ": tokenizer.json is missing (turbine reads the tokenizer from it)");
  const std::string config_path = dir + "/tokenizer_config.json";
  if (is_file(config_path)) {
    ck->tokenizer_config_path = config_path;
    TB_ASSIGN_OR_RETURN(ck->chat_template, chat_template_from_tokenizer_config(config_path));
  }
  // Recent transformers save the template beside the config; it takes precedence there too.
  const std::string jinja_path = dir + "/chat_template.jinja";
  if (is_file(jinja_path)) {
    TB_ASSIGN_OR_RETURN(ck->chat_template, read_text_file(jinja_path));
  }
  return Status::ok();
}

Result<std::shared_ptr<const Checkpoint>> load_hf(std::string dir) {
  while (dir.size() > 1 && dir.back() == '/') dir.pop_back();
  auto ck = std::make_shared<Checkpoint>();
  ck->path = dir;
  ck->format = CheckpointFormat::kSafetensors;
  const std::string config_path = dir + "/config.json";
  if (!is_file(config_path)) return not_found(dir + ": config.json is missing (not a Hugging Face checkpoint)");
  TB_ASSIGN_OR_RETURN(ck->config, load_hf_config(config_path));
  TB_RETURN_IF_ERROR(read_hf_tokenizer_files(dir, ck.get()));
  TB_ASSIGN_OR_RETURN(std::shared_ptr<SafetensorsShards> shards, SafetensorsShards::open_dir(dir));

  std::map<std::string, StoredTensor> table;
  for (const std::string& name : shards->tensor_names()) {
    const auto e = shards->find(name);
    StoredTensor& s = table[name];
    s.file = e.file->path();
    s.type_name = e.tensor->dtype_name;
    s.dtype = e.tensor->dtype;
    s.dims = e.tensor->shape;
    s.data = e.tensor->data;
    s.num_bytes = e.tensor->num_bytes;
  }
  TB_ASSIGN_OR_RETURN(BoundWeights bound, bind_weights(ck->config, TensorNaming::kHuggingFace, map_lookup(table),
                                                       shards->source_path()));
  fill_from_bound(std::move(bound), ck.get());
  ck->weights.storage.push_back(std::move(shards));
  return std::shared_ptr<const Checkpoint>(std::move(ck));
}

}  // namespace

Result<std::shared_ptr<const Checkpoint>> load_checkpoint(const std::string& path) {
  std::error_code ec;
  if (fs::is_directory(path, ec)) return load_hf(path);
  if (path.size() > 5 && path.compare(path.size() - 5, 5, ".gguf") == 0) return load_gguf(path);
  if (!fs::exists(path, ec)) return not_found(path + ": no such file or directory");
  return invalid_argument(path + ": not a .gguf file or a Hugging Face checkpoint directory");
}

}  // namespace turbine
