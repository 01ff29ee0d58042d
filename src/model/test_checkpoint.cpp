#include "model/test_checkpoint.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "base/mapped_file.h"
#include "base/splitmix64.h"
#include "model/config_validation.h"
#include "model/gguf_config.h"
#include "model/hf_config.h"
#include "model/quantize.h"
#include "model/safetensors.h"
#include "model/tensor_names.h"

namespace turbine {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;

// splitmix64 and Box-Muller written out, so a seed means the same weights on every platform and
// standard library (std::normal_distribution is implementation-defined).
class Rng {
 public:
  explicit Rng(uint64_t seed) : gen_(seed) {}
  uint64_t next() { return gen_.next(); }
  double uniform() { return (double(next() >> 11) + 0.5) * 0x1.0p-53; }  // in (0, 1)
  double normal() { return std::sqrt(-2.0 * std::log(uniform())) * std::cos(2.0 * M_PI * uniform()); }

 private:
  SplitMix64 gen_;
};

uint64_t fnv1a(const std::string& s) {
  uint64_t h = 0xcbf29ce484222325ull;
  for (unsigned char c : s) h = (h ^ c) * 0x100000001b3ull;
  return h;
}

// One tensor's logical (Hugging Face layout) values, from the seed and the tensor's name only:
// matrices N(0, 1/fan_in) so activations keep their scale, norms 1 +- 0.1, biases small.
std::vector<float> random_values(const TensorSpec& spec, uint64_t seed) {
  Rng rng(seed ^ fnv1a(spec.hf_name));
  int64_t n = 1;
  for (int64_t d : spec.shape) n *= d;
  std::vector<float> v(static_cast<size_t>(n));
  double scale = 0.02, offset = 0.0;
  if (spec.is_matrix()) {
    scale = 1.0 / std::sqrt(double(spec.shape[1]));
  } else if (spec.role == TensorRole::kAttnNorm || spec.role == TensorRole::kFfnNorm ||
             spec.role == TensorRole::kOutputNorm || spec.role == TensorRole::kQNorm ||
             spec.role == TensorRole::kKNorm) {
    scale = 0.1, offset = 1.0;
  }
  for (float& x : v) x = float(offset + scale * rng.normal());
  return v;
}

// The GGUF type of a matrix. "q4_K" follows Q4_K_M's spirit: the tensors most sensitive to
// error (attn_v, ffn_down, embeddings, output) get Q6_K. A type whose block does not divide the
// row falls back to q8_0, then f16, as llama.cpp's quantizer does.
DType gguf_matrix_dtype(DType requested, TensorRole role, int64_t cols) {
  DType t = requested;
  if (requested == DType::kQ4_K &&
      (role == TensorRole::kWv || role == TensorRole::kWDown || role == TensorRole::kTokenEmbedding ||
       role == TensorRole::kOutput))
    t = DType::kQ6_K;
  if (cols % dtype_traits(t).block_elems != 0) t = cols % kQK == 0 ? DType::kQ8_0 : DType::kF16;
  return t;
}

Status write_text(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  out.close();
  if (!out) return io_error(path + ": cannot write");
  return Status::ok();
}

Status copy_tokenizer_files(const TestCheckpointSpec& spec) {
  std::error_code ec;
  fs::copy_file(spec.tokenizer_json_path, spec.output_path + "/tokenizer.json", fs::copy_options::overwrite_existing, ec);
  if (ec) return io_error(spec.tokenizer_json_path + ": cannot copy: " + ec.message());
  json config = json::object();
  if (!spec.tokenizer_config_path.empty()) {
    TB_ASSIGN_OR_RETURN(const std::string text, read_text_file(spec.tokenizer_config_path));
    config = json::parse(text, nullptr, /*allow_exceptions=*/false);
    if (config.is_discarded() || !config.is_object())
      return invalid_argument(spec.tokenizer_config_path + ": not a JSON object");
  } else if (spec.chat_template.empty()) {
    return Status::ok();
  }
  if (!spec.chat_template.empty()) config["chat_template"] = spec.chat_template;
  // A chat template is caller text: invalid UTF-8 is replaced rather than thrown on.
  return write_text(spec.output_path + "/tokenizer_config.json",
                    config.dump(2, ' ', false, json::error_handler_t::replace) + "\n");
}

Status write_hf(const TestCheckpointSpec& spec, const ModelConfig& c) {
  if (spec.dtype != DType::kF32 && spec.dtype != DType::kF16 && spec.dtype != DType::kBF16)
    return invalid_argument("a Hugging Face test checkpoint holds f32, f16 or bf16, not " + std::string(dtype_name(spec.dtype)));
  if (spec.tokenizer_json_path.empty()) return invalid_argument("a Hugging Face test checkpoint needs a tokenizer.json");
  std::error_code ec;
  fs::create_directories(spec.output_path, ec);
  if (ec) return io_error(spec.output_path + ": cannot create: " + ec.message());
  const std::string hf_class = spec.arch == "mistral" ? "MistralForCausalLM"
                               : c.arch == Architecture::kQwen2 ? "Qwen2ForCausalLM"
                               : c.arch == Architecture::kQwen3 ? "Qwen3ForCausalLM"
                                                                 : "LlamaForCausalLM";
  TB_RETURN_IF_ERROR(write_text(spec.output_path + "/config.json", hf_config_json(c, hf_class, spec.dtype)));
  SafetensorsWriter w;
  w.set_metadata("format", "pt");
  for (const TensorSpec& t : expected_tensors(c)) {
    const std::vector<float> v = random_values(t, spec.seed);
    const int64_t rows = t.is_matrix() ? t.shape[0] : 1;
    TB_ASSIGN_OR_RETURN(auto bytes, quantize_tensor(spec.dtype, v.data(), rows, int64_t(v.size()) / rows));
    TB_RETURN_IF_ERROR(w.add_tensor(t.hf_name, spec.dtype, t.shape, std::move(bytes)));
  }
  TB_RETURN_IF_ERROR(w.write(spec.output_path + "/model.safetensors"));
  return copy_tokenizer_files(spec);
}

Status write_gguf(const TestCheckpointSpec& spec, const ModelConfig& c) {
  if (!spec.write_tokenizer) return invalid_argument("a GGUF test checkpoint needs a write_tokenizer callback");
  GgufWriter w;
  write_gguf_config(c, w);
  w.set_string("general.name", "turbine-test-" + spec.arch);
  if (is_quantized(spec.dtype)) w.set_uint32("general.quantization_version", 2);
  TB_RETURN_IF_ERROR(spec.write_tokenizer(w));
  if (!spec.chat_template.empty()) w.set_string("tokenizer.chat_template", spec.chat_template);
  for (const TensorSpec& t : expected_tensors(c)) {
    std::vector<float> v = random_values(t, spec.seed);
    if (!t.is_matrix()) {
      TB_ASSIGN_OR_RETURN(auto bytes, quantize_tensor(DType::kF32, v.data(), 1, int64_t(v.size())));
      w.add_tensor(t.gguf_name, DType::kF32, gguf_dims(t.shape), std::move(bytes));
      continue;
    }
    const int64_t rows = t.shape[0], cols = t.shape[1];
    if (c.arch == Architecture::kLlama && (t.role == TensorRole::kWq || t.role == TensorRole::kWk))
      v = llama_permute_qk(v.data(), rows, cols, t.role == TensorRole::kWq ? c.num_heads : c.num_kv_heads);
    const DType dt = gguf_matrix_dtype(spec.dtype, t.role, cols);
    TB_ASSIGN_OR_RETURN(auto bytes, quantize_tensor(dt, v.data(), rows, cols));
    w.add_tensor(t.gguf_name, dt, gguf_dims(t.shape), std::move(bytes));
  }
  if (c.rope_scaling.type == RopeScaling::Type::kLlama3) {
    std::vector<float> factors = llama3_rope_freq_factors(c);
    std::vector<uint8_t> bytes(factors.size() * 4);
    std::memcpy(bytes.data(), factors.data(), bytes.size());
    w.add_tensor("rope_freqs.weight", DType::kF32, {int64_t(factors.size())}, std::move(bytes));
  }
  const fs::path parent = fs::path(spec.output_path).parent_path();
  std::error_code ec;
  if (!parent.empty()) fs::create_directories(parent, ec);
  return w.write(spec.output_path);
}

}  // namespace

Result<int64_t> tokenizer_json_vocab_size(const std::string& path) {
  constexpr int64_t kMaxTokenId = int64_t(1) << 31;
  TB_ASSIGN_OR_RETURN(const std::string text, read_text_file(path));
  const json j = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) return invalid_argument(path + ": not a JSON object");
  int64_t size = 0;
  if (j.contains("model") && j["model"].is_object() && j["model"].contains("vocab")) {
    const json& vocab = j["model"]["vocab"];
    if (vocab.is_array()) size = int64_t(vocab.size());  // Unigram: [[piece, score], ...]
    if (vocab.is_object())
      for (const auto& [piece, id] : vocab.items())
        if (id.is_number_integer() && id.get<int64_t>() < kMaxTokenId) size = std::max(size, id.get<int64_t>() + 1);
  }
  if (j.contains("added_tokens") && j["added_tokens"].is_array())
    for (const json& t : j["added_tokens"])
      if (t.is_object() && t.contains("id") && t["id"].is_number_integer() && t["id"].get<int64_t>() < kMaxTokenId)
        size = std::max(size, t["id"].get<int64_t>() + 1);
  if (size <= 0) return invalid_argument(path + ": no vocabulary found");
  return size;
}

Result<ModelConfig> test_checkpoint_config(const TestCheckpointSpec& spec) {
  ModelConfig c;
  if (spec.arch == "llama" || spec.arch == "mistral") {
    c.arch = Architecture::kLlama;
  } else if (spec.arch == "qwen2" || spec.arch == "qwen3") {
    c.arch = spec.arch == "qwen2" ? Architecture::kQwen2 : Architecture::kQwen3;
  } else {
    return invalid_argument("unknown test architecture \"" + spec.arch + "\" (llama, mistral, qwen2, qwen3)");
  }
  if (spec.llama3_rope_scaling && c.arch != Architecture::kLlama)
    return invalid_argument("llama3 rope scaling is for llama and mistral test checkpoints");
  c.vocab_size = spec.vocab_size;
  if (c.vocab_size == 0) {
    if (spec.tokenizer_json_path.empty()) return invalid_argument("test checkpoint: give a vocab size or a tokenizer.json");
    TB_ASSIGN_OR_RETURN(c.vocab_size, tokenizer_json_vocab_size(spec.tokenizer_json_path));
  }
  c.hidden_size = spec.hidden_size;
  c.num_layers = spec.num_layers;
  c.num_heads = spec.num_heads;
  c.num_kv_heads = spec.num_kv_heads;
  c.head_dim = spec.head_dim;
  c.ffn_size = spec.ffn_size;
  c.context_length = spec.context_length;
  c.rms_norm_eps = spec.rms_norm_eps;
  c.rope_theta = spec.rope_theta > 0.0f                ? spec.rope_theta
                 : c.arch != Architecture::kLlama      ? 1000000.0f
                 : spec.llama3_rope_scaling            ? 500000.0f
                                                       : 10000.0f;
  if (spec.llama3_rope_scaling) {
    c.rope_scaling.type = RopeScaling::Type::kLlama3;
    c.rope_scaling.factor = 8.0f;
    c.rope_scaling.low_freq_factor = 1.0f;
    c.rope_scaling.high_freq_factor = 4.0f;
    c.rope_scaling.original_context_length = 8192;
  }
  c.rope_style = RopeStyle::kNeox;
  c.tied_embeddings = spec.tied_embeddings;
  c.qkv_bias = c.arch == Architecture::kQwen2;
  c.qk_norm = c.arch == Architecture::kQwen3;
  TB_RETURN_IF_ERROR(validate_model_config(c, "test checkpoint spec"));
  return c;
}

Status write_test_checkpoint(const TestCheckpointSpec& spec) {
  TB_ASSIGN_OR_RETURN(const ModelConfig c, test_checkpoint_config(spec));
  if (spec.format == CheckpointFormat::kGguf) return write_gguf(spec, c);
  return write_hf(spec, c);
}

}  // namespace turbine
