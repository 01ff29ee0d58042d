#include "model/gguf_config.h"

#include <cmath>
#include <cstring>

#include "model/config_validation.h"

namespace turbine {
namespace {

class Keys {
 public:
  Keys(const GgufFile& g, std::string arch) : g_(g), prefix_(std::move(arch) + ".") {}
  std::string key(const char* k) const { return prefix_ + k; }
  // The reader's typed getters name the file and the key when the type is wrong.
  Result<std::optional<int64_t>> opt_int(const char* k) const { return g_.get_int(key(k)); }
  Result<int64_t> req_int(const char* k) const {
    TB_ASSIGN_OR_RETURN(const auto v, opt_int(k));
    if (!v) return invalid_argument(g_.path() + ": missing " + key(k));
    return *v;
  }
  Result<std::optional<double>> opt_float(const char* k) const { return g_.get_float(key(k)); }
  Result<std::optional<std::string>> opt_string(const char* k) const { return g_.get_string(key(k)); }

 private:
  const GgufFile& g_;
  std::string prefix_;
};

Status read_sizes(const GgufFile& g, const Keys& k, ModelConfig* c) {
  TB_ASSIGN_OR_RETURN(c->hidden_size, k.req_int("embedding_length"));
  TB_ASSIGN_OR_RETURN(c->num_layers, k.req_int("block_count"));
  TB_ASSIGN_OR_RETURN(c->num_heads, k.req_int("attention.head_count"));
  TB_ASSIGN_OR_RETURN(c->ffn_size, k.req_int("feed_forward_length"));
  TB_ASSIGN_OR_RETURN(c->context_length, k.req_int("context_length"));
  TB_ASSIGN_OR_RETURN(const auto kv, k.opt_int("attention.head_count_kv"));
  c->num_kv_heads = kv.value_or(c->num_heads);
  TB_ASSIGN_OR_RETURN(const auto key_len, k.opt_int("attention.key_length"));
  if (key_len) {
    c->head_dim = *key_len;
  } else {
    if (c->num_heads <= 0 || c->hidden_size % c->num_heads != 0)
      return invalid_argument(g.path() + ": " + k.key("embedding_length") + " is not a multiple of " +
                              k.key("attention.head_count") + " and no " + k.key("attention.key_length") + " is given");
    c->head_dim = c->hidden_size / c->num_heads;
  }
  TB_ASSIGN_OR_RETURN(const auto value_len, k.opt_int("attention.value_length"));
  if (value_len && *value_len != c->head_dim)
    return unsupported(g.path() + ": " + k.key("attention.value_length") + " = " + std::to_string(*value_len) +
                       " differs from the key length " + std::to_string(c->head_dim));
  TB_ASSIGN_OR_RETURN(const auto rope_dims, k.opt_int("rope.dimension_count"));
  if (rope_dims && *rope_dims != c->head_dim)
    return unsupported(g.path() + ": " + k.key("rope.dimension_count") + " = " + std::to_string(*rope_dims) +
                       " (partial RoPE) is not supported; head_dim is " + std::to_string(c->head_dim));

  TB_ASSIGN_OR_RETURN(const auto vocab, k.opt_int("vocab_size"));
  if (vocab) {
    c->vocab_size = *vocab;
  } else if (const GgufTensorInfo* emb = g.find_tensor("token_embd.weight"); emb && emb->dims.size() == 2) {
    c->vocab_size = emb->dims[1];  // GGML order: [hidden, vocab]
  } else {
    return invalid_argument(g.path() + ": no " + k.key("vocab_size") + " and no 2-D token_embd.weight");
  }
  TB_ASSIGN_OR_RETURN(const auto eps, k.opt_float("attention.layer_norm_rms_epsilon"));
  if (!eps) return invalid_argument(g.path() + ": missing " + k.key("attention.layer_norm_rms_epsilon"));
  c->rms_norm_eps = float(*eps);
  TB_ASSIGN_OR_RETURN(const auto theta, k.opt_float("rope.freq_base"));
  c->rope_theta = float(theta.value_or(10000.0));
  return Status::ok();
}

// llama.cpp writes llama3 scaling as the `rope_freqs.weight` tensor and no scaling keys;
// `<arch>.rope.scaling.type = "llama3"` with its parameters is accepted as well.
Status read_rope_scaling(const GgufFile& g, const Keys& k, ModelConfig* c) {
  TB_ASSIGN_OR_RETURN(const auto type, k.opt_string("rope.scaling.type"));
  TB_ASSIGN_OR_RETURN(const auto factor, k.opt_float("rope.scaling.factor"));
  const std::string t = type.value_or(factor && *factor != 1.0 ? "linear" : "none");
  if (t == "llama3") {
    auto& rs = c->rope_scaling;
    rs.type = RopeScaling::Type::kLlama3;
    if (!factor) return invalid_argument(g.path() + ": llama3 rope scaling without " + k.key("rope.scaling.factor"));
    rs.factor = float(*factor);
    TB_ASSIGN_OR_RETURN(const auto low, k.opt_float("rope.scaling.low_freq_factor"));
    TB_ASSIGN_OR_RETURN(const auto high, k.opt_float("rope.scaling.high_freq_factor"));
    TB_ASSIGN_OR_RETURN(const auto orig, k.opt_int("rope.scaling.original_context_length"));
    rs.low_freq_factor = float(low.value_or(1.0));
    rs.high_freq_factor = float(high.value_or(4.0));
    rs.original_context_length = orig.value_or(8192);
  } else if (!(t == "none" || (t == "linear" && factor.value_or(1.0) == 1.0))) {
    return unsupported(g.path() + ": " + k.key("rope.scaling.type") + " \"" + t +
                       "\" is not supported (turbine supports none and llama3)");
  }
  const GgufTensorInfo* freqs = g.find_tensor("rope_freqs.weight");
  if (freqs == nullptr) return Status::ok();
  if (freqs->ggml_type != uint32_t(DType::kF32) || freqs->data == nullptr)
    return invalid_argument(g.path() + ": tensor rope_freqs.weight: expected type f32, found " +
                            std::string(ggml_type_name(freqs->ggml_type)));
  const int64_t n = freqs->num_elements();
  if (freqs->dims.size() != 1 || freqs->num_bytes != uint64_t(n) * 4)
    return invalid_argument(g.path() + ": tensor rope_freqs.weight: expected a 1-D f32 tensor");
  c->rope_freq_factors.resize(size_t(n));
  std::memcpy(c->rope_freq_factors.data(), freqs->data, size_t(n) * 4);
  return Status::ok();
}

}  // namespace

Result<ModelConfig> config_from_gguf(const GgufFile& g) {
  TB_ASSIGN_OR_RETURN(const auto arch_key, g.get_string("general.architecture"));
  if (!arch_key) return invalid_argument(g.path() + ": missing general.architecture");
  const std::string arch = *arch_key;
  ModelConfig c;
  if (arch == "llama") {
    c.arch = Architecture::kLlama;
    c.rope_style = RopeStyle::kInterleaved;  // the converter permuted the Q/K rows
  } else if (arch == "qwen2" || arch == "qwen3") {
    c.arch = arch == "qwen2" ? Architecture::kQwen2 : Architecture::kQwen3;
    c.rope_style = RopeStyle::kNeox;
  } else {
    return unsupported(g.path() + ": unsupported architecture " + arch + " (turbine runs llama, qwen2, qwen3)");
  }
  c.qkv_bias = c.arch == Architecture::kQwen2;
  c.qk_norm = c.arch == Architecture::kQwen3;
  c.tied_embeddings = g.find_tensor("output.weight") == nullptr;
  const Keys k(g, arch);
  TB_RETURN_IF_ERROR(read_sizes(g, k, &c));
  TB_RETURN_IF_ERROR(read_rope_scaling(g, k, &c));
  TB_RETURN_IF_ERROR(validate_model_config(c, g.path()));
  return c;
}

void write_gguf_config(const ModelConfig& c, GgufWriter& w) {
  const std::string a(architecture_name(c.arch));
  w.set_string("general.architecture", a);
  w.set_uint32(a + ".context_length", uint32_t(c.context_length));
  w.set_uint32(a + ".embedding_length", uint32_t(c.hidden_size));
  w.set_uint32(a + ".block_count", uint32_t(c.num_layers));
  w.set_uint32(a + ".feed_forward_length", uint32_t(c.ffn_size));
  w.set_uint32(a + ".attention.head_count", uint32_t(c.num_heads));
  w.set_uint32(a + ".attention.head_count_kv", uint32_t(c.num_kv_heads));
  w.set_uint32(a + ".attention.key_length", uint32_t(c.head_dim));
  w.set_uint32(a + ".attention.value_length", uint32_t(c.head_dim));
  w.set_uint32(a + ".rope.dimension_count", uint32_t(c.head_dim));
  w.set_uint32(a + ".vocab_size", uint32_t(c.vocab_size));
  w.set_float32(a + ".attention.layer_norm_rms_epsilon", c.rms_norm_eps);
  w.set_float32(a + ".rope.freq_base", c.rope_theta);
}

}  // namespace turbine
