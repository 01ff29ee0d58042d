#include "model/hf_config.h"

#include <algorithm>
#include <charconv>
#include <cstdlib>
#include <nlohmann/json.hpp>

#include "base/mapped_file.h"
#include "model/config_validation.h"

namespace turbine {
namespace {

using json = nlohmann::json;

struct HfArch {
  const char* class_name;
  const char* model_type;
  Architecture arch;
};
constexpr HfArch kArchs[] = {
    {"LlamaForCausalLM", "llama", Architecture::kLlama},
    {"MistralForCausalLM", "mistral", Architecture::kLlama},  // same forward pass
    {"Qwen2ForCausalLM", "qwen2", Architecture::kQwen2},
    {"Qwen3ForCausalLM", "qwen3", Architecture::kQwen3},
};

// Typed field access with errors that name the file and the key. Absent and null both read as
// "not given" (configs write `"head_dim": null`).
class Fields {
 public:
  Fields(const json& obj, std::string path) : obj_(obj), path_(std::move(path)) {}
  const json* get(const char* key) const {
    const auto it = obj_.find(key);
    return it == obj_.end() || it->is_null() ? nullptr : &*it;
  }
  Result<std::optional<int64_t>> opt_int(const char* key) const {
    const json* v = get(key);
    if (v == nullptr) return std::optional<int64_t>();
    if (v->is_number_unsigned() && v->get<uint64_t>() > uint64_t(INT64_MAX)) return bad(key, "an integer");
    if (!v->is_number_integer()) return bad(key, "an integer");
    return std::optional<int64_t>(v->get<int64_t>());
  }
  Result<int64_t> req_int(const char* key) const {
    TB_ASSIGN_OR_RETURN(auto v, opt_int(key));
    if (!v) return invalid_argument(path_ + ": missing \"" + key + "\"");
    return *v;
  }
  Result<double> num(const char* key, double def) const {
    const json* v = get(key);
    if (v == nullptr) return def;
    if (!v->is_number()) return bad(key, "a number");
    return v->get<double>();
  }
  Result<bool> flag(const char* key, bool def) const {
    const json* v = get(key);
    if (v == nullptr) return def;
    if (!v->is_boolean()) return bad(key, "true or false");
    return v->get<bool>();
  }
  Result<std::string> str(const char* key, const std::string& def) const {
    const json* v = get(key);
    if (v == nullptr) return def;
    if (!v->is_string()) return bad(key, "a string");
    return v->get<std::string>();
  }
  Status bad(const char* key, const char* what) const {
    return invalid_argument(path_ + ": \"" + key + "\" must be " + what);
  }
  const std::string& path() const { return path_; }

 private:
  const json& obj_;
  std::string path_;
};

Result<const HfArch*> find_arch(const Fields& f) {
  std::string name;
  const json* archs = f.get("architectures");
  if (archs != nullptr) {
    if (!archs->is_array() || archs->empty() || !(*archs)[0].is_string())
      return f.bad("architectures", "a non-empty array of strings");
    name = (*archs)[0].get<std::string>();
    for (const auto& a : kArchs)
      if (name == a.class_name) return &a;
  } else {
    TB_ASSIGN_OR_RETURN(name, f.str("model_type", ""));
    if (name.empty()) return invalid_argument(f.path() + ": missing \"architectures\"");
    for (const auto& a : kArchs)
      if (name == a.model_type) return &a;
  }
  return unsupported(f.path() + ": unsupported architecture " + name +
                     " (turbine runs LlamaForCausalLM, MistralForCausalLM, Qwen2ForCausalLM, Qwen3ForCausalLM)");
}

// rope_scaling (transformers <= 4.x) or rope_parameters (5.x): {"rope_type" | "type": ..., ...}.
Status parse_rope_scaling(const json& rs, const std::string& path, RopeScaling* out) {
  if (!rs.is_object()) return invalid_argument(path + ": \"rope_scaling\" must be an object or null");
  const Fields f(rs, path);
  TB_ASSIGN_OR_RETURN(std::string type, f.str("rope_type", ""));
  if (type.empty()) {
    TB_ASSIGN_OR_RETURN(type, f.str("type", "default"));
  }
  TB_ASSIGN_OR_RETURN(const double factor, f.num("factor", 1.0));
  // "dynamic" NTK scaling only changes anything past max_position_embeddings, which turbine
  // never runs; linear scaling by 1 is no scaling.
  if (type == "default" || type == "dynamic" || (type == "linear" && factor == 1.0)) {
    out->type = RopeScaling::Type::kNone;
    return Status::ok();
  }
  if (type != "llama3")
    return unsupported(path + ": rope_scaling type \"" + type + "\" is not supported (turbine supports default and llama3)");
  if (f.get("factor") == nullptr) return invalid_argument(path + ": llama3 rope_scaling needs \"factor\"");
  out->type = RopeScaling::Type::kLlama3;
  out->factor = float(factor);
  TB_ASSIGN_OR_RETURN(const double low, f.num("low_freq_factor", 1.0));
  TB_ASSIGN_OR_RETURN(const double high, f.num("high_freq_factor", 4.0));
  TB_ASSIGN_OR_RETURN(const auto orig, f.opt_int("original_max_position_embeddings"));
  out->low_freq_factor = float(low);
  out->high_freq_factor = float(high);
  out->original_context_length = orig.value_or(8192);
  return Status::ok();
}

// Everything turbine's forward pass does not do is refused here rather than run wrongly.
Status check_unsupported_features(const Fields& f, Architecture arch) {
  TB_ASSIGN_OR_RETURN(const std::string act, f.str("hidden_act", "silu"));
  if (act != "silu")
    return unsupported(f.path() + ": hidden_act \"" + act + "\" is not supported (turbine runs silu)");
  if (arch != Architecture::kQwen2) {  // Qwen2 has q/k/v biases and no o_proj bias, always
    TB_ASSIGN_OR_RETURN(const bool attn_bias, f.flag("attention_bias", false));
    if (attn_bias) return unsupported(f.path() + ": attention_bias = true (an o_proj bias) is not supported");
  }
  TB_ASSIGN_OR_RETURN(const bool mlp_bias, f.flag("mlp_bias", false));
  if (mlp_bias) return unsupported(f.path() + ": mlp_bias = true is not supported");
  return Status::ok();
}

Status parse_sizes(const Fields& f, ModelConfig* c) {
  TB_ASSIGN_OR_RETURN(c->hidden_size, f.req_int("hidden_size"));
  TB_ASSIGN_OR_RETURN(c->num_layers, f.req_int("num_hidden_layers"));
  TB_ASSIGN_OR_RETURN(c->num_heads, f.req_int("num_attention_heads"));
  TB_ASSIGN_OR_RETURN(c->ffn_size, f.req_int("intermediate_size"));
  TB_ASSIGN_OR_RETURN(c->vocab_size, f.req_int("vocab_size"));
  TB_ASSIGN_OR_RETURN(const auto kv, f.opt_int("num_key_value_heads"));
  c->num_kv_heads = kv.value_or(c->num_heads);
  TB_ASSIGN_OR_RETURN(const auto head_dim, f.opt_int("head_dim"));
  if (head_dim) {
    c->head_dim = *head_dim;
  } else {
    if (c->num_heads <= 0 || c->hidden_size % c->num_heads != 0)
      return invalid_argument(f.path() + ": hidden_size = " + std::to_string(c->hidden_size) +
                              " is not a multiple of num_attention_heads = " + std::to_string(c->num_heads) +
                              " and no head_dim is given");
    c->head_dim = c->hidden_size / c->num_heads;
  }
  TB_ASSIGN_OR_RETURN(const auto ctx, f.opt_int("max_position_embeddings"));
  c->context_length = ctx.value_or(c->arch == Architecture::kLlama ? 2048 : 32768);
  return Status::ok();
}

// A sliding window equals full attention while the context fits in it, so turbine caps the
// context there instead of masking (Mistral: sliding_window; Qwen: only with use_sliding_window).
Status apply_sliding_window(const Fields& f, const HfArch& a, ModelConfig* c) {
  bool used = std::string(a.model_type) == "mistral";
  if (a.arch != Architecture::kLlama) {
    TB_ASSIGN_OR_RETURN(used, f.flag("use_sliding_window", false));
  }
  if (!used) return Status::ok();
  TB_ASSIGN_OR_RETURN(const auto window, f.opt_int("sliding_window"));
  if (window && *window > 0) c->context_length = std::min(c->context_length, *window);
  return Status::ok();
}

// The shortest decimal that reads back as `f` ("1e-06", not 9.999999974752427e-07).
double clean_float(float f) {
  char buf[32];
  const auto r = std::to_chars(buf, buf + sizeof(buf), f);
  return std::strtod(std::string(buf, r.ptr).c_str(), nullptr);
}

}  // namespace

Result<ModelConfig> parse_hf_config(const std::string& json_text, const std::string& path) {
  const json root = json::parse(json_text, nullptr, /*allow_exceptions=*/false);
  if (root.is_discarded()) return invalid_argument(path + ": not valid JSON");
  if (!root.is_object()) return invalid_argument(path + ": not a JSON object");
  const Fields f(root, path);
  TB_ASSIGN_OR_RETURN(const HfArch* arch, find_arch(f));
  ModelConfig c;
  c.arch = arch->arch;
  c.rope_style = RopeStyle::kNeox;
  c.qkv_bias = c.arch == Architecture::kQwen2;
  c.qk_norm = c.arch == Architecture::kQwen3;
  TB_RETURN_IF_ERROR(check_unsupported_features(f, c.arch));
  TB_RETURN_IF_ERROR(parse_sizes(f, &c));
  TB_RETURN_IF_ERROR(apply_sliding_window(f, *arch, &c));
  TB_ASSIGN_OR_RETURN(const double eps, f.num("rms_norm_eps", 1e-6));
  c.rms_norm_eps = float(eps);
  TB_ASSIGN_OR_RETURN(const double theta, f.num("rope_theta", 10000.0));
  c.rope_theta = float(theta);
  TB_ASSIGN_OR_RETURN(c.tied_embeddings, f.flag("tie_word_embeddings", false));
  if (const json* rp = f.get("rope_parameters")) {
    if (!rp->is_object()) return f.bad("rope_parameters", "an object");
    TB_ASSIGN_OR_RETURN(const double t, Fields(*rp, path).num("rope_theta", theta));
    c.rope_theta = float(t);
    TB_RETURN_IF_ERROR(parse_rope_scaling(*rp, path, &c.rope_scaling));
  } else if (const json* rs = f.get("rope_scaling")) {
    TB_RETURN_IF_ERROR(parse_rope_scaling(*rs, path, &c.rope_scaling));
  }
  TB_RETURN_IF_ERROR(validate_model_config(c, path));
  return c;
}

Result<ModelConfig> load_hf_config(const std::string& path) {
  TB_ASSIGN_OR_RETURN(const std::string text, read_text_file(path));
  return parse_hf_config(text, path);
}

std::string hf_config_json(const ModelConfig& c, const std::string& hf_architecture, DType torch_dtype) {
  std::string model_type = "llama";
  for (const auto& a : kArchs)
    if (hf_architecture == a.class_name) model_type = a.model_type;
  json j = {
      {"architectures", {hf_architecture}},
      {"model_type", model_type},
      {"hidden_size", c.hidden_size},
      {"num_hidden_layers", c.num_layers},
      {"num_attention_heads", c.num_heads},
      {"num_key_value_heads", c.num_kv_heads},
      {"head_dim", c.head_dim},
      {"intermediate_size", c.ffn_size},
      {"vocab_size", c.vocab_size},
      {"max_position_embeddings", c.context_length},
      {"rms_norm_eps", clean_float(c.rms_norm_eps)},
      {"rope_theta", clean_float(c.rope_theta)},
      {"hidden_act", "silu"},
      {"tie_word_embeddings", c.tied_embeddings},
      {"torch_dtype", torch_dtype == DType::kBF16 ? "bfloat16" : torch_dtype == DType::kF16 ? "float16" : "float32"},
  };
  if (c.arch != Architecture::kQwen2) j["attention_bias"] = false;
  if (c.rope_scaling.type == RopeScaling::Type::kLlama3) {
    j["rope_scaling"] = {{"rope_type", "llama3"},
                         {"factor", clean_float(c.rope_scaling.factor)},
                         {"low_freq_factor", clean_float(c.rope_scaling.low_freq_factor)},
                         {"high_freq_factor", clean_float(c.rope_scaling.high_freq_factor)},
                         {"original_max_position_embeddings", c.rope_scaling.original_context_length}};
  } else {
    j["rope_scaling"] = nullptr;
  }
  return j.dump(2) + "\n";
}

}  // namespace turbine
