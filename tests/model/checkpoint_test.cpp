#include "model/checkpoint.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <tuple>

#include "model/gguf_config.h"
#include "model/hf_config.h"
#include "model/quantize.h"
#include "model/safetensors.h"
#include "model/tensor_names.h"
#include "model/test_checkpoint.h"

namespace turbine {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;

constexpr int64_t kVocab = 300;

fs::path suite_dir() {
  static const fs::path dir = fs::temp_directory_path() / ("turbine_checkpoint_" + std::to_string(getpid()));
  return dir;
}

// tokenizer.json with ids 0..kVocab-1 (the last one an added token).
std::string tokenizer_json_path() {
  const fs::path p = suite_dir() / "tokenizer.json";
  if (!fs::exists(p)) {
    json vocab = json::object();
    for (int i = 0; i < kVocab - 1; ++i) vocab["t" + std::to_string(i)] = i;
    json j = {{"model", {{"type", "BPE"}, {"vocab", vocab}, {"merges", json::array()}}},
              {"added_tokens", {{{"id", kVocab - 1}, {"content", "<eos>"}, {"special", true}}}}};
    fs::create_directories(suite_dir());
    std::ofstream(p) << j.dump();
  }
  return p.string();
}

Status minimal_gguf_tokenizer(GgufWriter& w) {
  std::vector<std::string> tokens;
  for (int i = 0; i < kVocab; ++i) tokens.push_back("t" + std::to_string(i));
  w.set_string("tokenizer.ggml.model", "gpt2");
  w.set_string_array("tokenizer.ggml.tokens", tokens);
  return Status::ok();
}

TestCheckpointSpec make_spec(const std::string& arch, CheckpointFormat format, DType dtype, const std::string& name) {
  TestCheckpointSpec s;
  s.arch = arch == "llama3" ? "llama" : arch;
  s.llama3_rope_scaling = arch == "llama3";
  s.format = format;
  s.dtype = dtype;
  s.seed = 42;
  s.tokenizer_json_path = tokenizer_json_path();
  s.write_tokenizer = minimal_gguf_tokenizer;
  s.chat_template = "{{ messages }}";
  s.output_path = (suite_dir() / (name + (format == CheckpointFormat::kGguf ? ".gguf" : ""))).string();
  return s;
}

std::shared_ptr<const Checkpoint> write_and_load(const TestCheckpointSpec& spec) {
  const Status st = write_test_checkpoint(spec);
  EXPECT_TRUE(st.is_ok()) << st.message();
  auto r = load_checkpoint(spec.output_path);
  EXPECT_TRUE(r.is_ok()) << r.status().message();
  return r.is_ok() ? *r : nullptr;
}

// Row-major f32 copy of a matrix in any dtype.
std::vector<float> dequantize(const MatrixView& m) {
  std::vector<float> out(size_t(m.rows * m.cols));
  for (int64_t r = 0; r < m.rows; ++r)
    dequantize_row(m.dtype, static_cast<const uint8_t*>(m.data) + r * m.row_stride_bytes(), m.cols,
                   &out[size_t(r * m.cols)]);
  return out;
}

double relative_error(const std::vector<float>& a, const std::vector<float>& b) {
  double num = 0, den = 0;
  for (size_t i = 0; i < a.size(); ++i) num += (a[i] - b[i]) * double(a[i] - b[i]), den += double(b[i]) * b[i];
  return std::sqrt(num / den);
}

double tolerance(DType t) {
  switch (t) {
    case DType::kF32: return 0.0;
    case DType::kF16: return 1e-3;
    case DType::kBF16: return 8e-3;
    case DType::kQ8_0: return 1e-2;
    case DType::kQ6_K: return 3e-2;
    case DType::kQ4_K: return 0.1;
    default: return 0.15;  // q4_0
  }
}

// The f32 Hugging Face checkpoint of `arch` every other format and dtype is compared with.
std::shared_ptr<const Checkpoint> reference(const std::string& arch) {
  static std::map<std::string, std::shared_ptr<const Checkpoint>> cache;
  auto& ck = cache[arch];
  if (!ck) ck = write_and_load(make_spec(arch, CheckpointFormat::kSafetensors, DType::kF32, "ref_" + arch));
  return ck;
}

class CheckpointTest : public ::testing::Test {
 protected:
  static void TearDownTestSuite() { fs::remove_all(suite_dir()); }
};

using Case = std::tuple<std::string, CheckpointFormat, DType>;

class MakeTestLoadTest : public CheckpointTest, public ::testing::WithParamInterface<Case> {};

TEST_P(MakeTestLoadTest, LoadsTheSameLogicalModel) {
  const auto& [arch, format, dtype] = GetParam();
  const bool gguf = format == CheckpointFormat::kGguf;
  const std::string name = arch + (gguf ? "_gguf_" : "_hf_") + std::string(dtype_name(dtype));
  const TestCheckpointSpec spec = make_spec(arch, format, dtype, name);
  const auto ck = write_and_load(spec);
  const auto ref = reference(arch);
  ASSERT_TRUE(ck && ref);

  const ModelConfig& c = ck->config;
  EXPECT_EQ(ck->format, format);
  EXPECT_EQ(c.arch, arch == "qwen2" ? Architecture::kQwen2 : arch == "qwen3" ? Architecture::kQwen3 : Architecture::kLlama);
  EXPECT_EQ(c.vocab_size, kVocab);
  EXPECT_EQ(c.hidden_size, 256);
  EXPECT_EQ(c.num_layers, 2);
  EXPECT_EQ(c.num_heads, 4);
  EXPECT_EQ(c.num_kv_heads, 2);
  EXPECT_EQ(c.head_dim, 64);
  EXPECT_EQ(c.ffn_size, 512);
  EXPECT_EQ(c.context_length, 4096);
  EXPECT_EQ(c.rms_norm_eps, 1e-5f);
  EXPECT_EQ(c.rope_theta, arch == "llama3" ? 500000.0f : arch.rfind("qwen", 0) == 0 ? 1e6f : 10000.0f);
  EXPECT_EQ(c.qkv_bias, arch == "qwen2");
  EXPECT_EQ(c.qk_norm, arch == "qwen3");
  EXPECT_FALSE(c.tied_embeddings);
  const bool permuted = gguf && c.arch == Architecture::kLlama;
  EXPECT_EQ(c.rope_style, permuted ? RopeStyle::kInterleaved : RopeStyle::kNeox);
  if (arch == "llama3" && gguf) {
    EXPECT_EQ(c.rope_freq_factors, llama3_rope_freq_factors(ref->config));
    EXPECT_EQ(c.rope_freq_factors.front(), 1.0f);
    EXPECT_EQ(c.rope_freq_factors.back(), 8.0f);
  } else if (arch == "llama3") {
    EXPECT_EQ(c.rope_scaling.type, RopeScaling::Type::kLlama3);
    EXPECT_EQ(c.rope_scaling.factor, 8.0f);
    EXPECT_EQ(c.rope_scaling.original_context_length, 8192);
  } else {
    EXPECT_TRUE(c.rope_freq_factors.empty());
    EXPECT_EQ(c.rope_scaling.type, RopeScaling::Type::kNone);
  }
  EXPECT_EQ(ck->chat_template, "{{ messages }}");
  EXPECT_EQ(ck->num_parameters, ref->num_parameters);
  if (gguf) {
    EXPECT_NE(ck->gguf, nullptr);
  } else {
    EXPECT_EQ(ck->tokenizer_json_path, spec.output_path + "/tokenizer.json");
    EXPECT_EQ(ck->tokenizer_config_path, spec.output_path + "/tokenizer_config.json");
  }

  // Every matrix, decoded (and un-permuted for GGUF llama Q/K), equals the reference within the
  // dtype's rounding; a wrong permutation would be off by ~1.4.
  const bool k_mix = dtype == DType::kQ4_K;
  auto check = [&](const MatrixView& got, const MatrixView& want, const char* what, int64_t n_head, bool q6) {
    SCOPED_TRACE(what);
    const DType expected = q6 ? DType::kQ6_K : dtype;
    EXPECT_EQ(got.dtype, expected);
    ASSERT_EQ(got.rows, want.rows);
    ASSERT_EQ(got.cols, want.cols);
    std::vector<float> g = dequantize(got);
    if (permuted && n_head > 0) g = llama_unpermute_qk(g.data(), got.rows, got.cols, n_head);
    const double err = relative_error(g, dequantize(want));
    EXPECT_LE(err, tolerance(expected));
    if (expected != DType::kF32) {
      EXPECT_GT(err, 0.0);  // the dtype really was applied
    }
  };
  check(ck->weights.token_embedding, ref->weights.token_embedding, "token_embd", 0, k_mix);
  check(ck->weights.output, ref->weights.output, "output", 0, k_mix);
  ASSERT_EQ(ck->weights.layers.size(), 2u);
  for (size_t l = 0; l < 2; ++l) {
    const LayerWeights& a = ck->weights.layers[l];
    const LayerWeights& b = ref->weights.layers[l];
    check(a.wq, b.wq, "wq", c.num_heads, false);
    check(a.wk, b.wk, "wk", c.num_kv_heads, false);
    check(a.wv, b.wv, "wv", 0, k_mix);
    check(a.wo, b.wo, "wo", 0, false);
    check(a.w_gate, b.w_gate, "w_gate", 0, false);
    check(a.w_up, b.w_up, "w_up", 0, false);
    check(a.w_down, b.w_down, "w_down", 0, k_mix);
    // 1-D tensors are f32 in GGUF, so only HF f16/bf16 round them.
    const double vtol = gguf ? 0.0 : tolerance(dtype);
    auto vec_err = [](const std::vector<float>& x, const std::vector<float>& y) {
      if (x.size() != y.size()) return 1e9;
      return x.empty() ? 0.0 : relative_error(x, y);
    };
    EXPECT_LE(vec_err(a.attn_norm, b.attn_norm), vtol);
    EXPECT_LE(vec_err(ck->weights.output_norm, ref->weights.output_norm), vtol);
    EXPECT_LE(vec_err(a.ffn_norm, b.ffn_norm), vtol);
    EXPECT_LE(vec_err(a.bq, b.bq), vtol);
    EXPECT_LE(vec_err(a.bk, b.bk), vtol);
    EXPECT_LE(vec_err(a.bv, b.bv), vtol);
    EXPECT_LE(vec_err(a.q_norm, b.q_norm), vtol);
    EXPECT_LE(vec_err(a.k_norm, b.k_norm), vtol);
    EXPECT_EQ(a.bq.size(), c.qkv_bias ? 256u : 0u);
    EXPECT_EQ(a.bk.size(), c.qkv_bias ? 128u : 0u);
    EXPECT_EQ(a.q_norm.size(), c.qk_norm ? 64u : 0u);
  }
}

std::string case_name(const ::testing::TestParamInfo<Case>& info) {
  const auto& [arch, format, dtype] = info.param;
  return arch + (format == CheckpointFormat::kGguf ? "_gguf_" : "_hf_") + std::string(dtype_name(dtype));
}

INSTANTIATE_TEST_SUITE_P(
    Hf, MakeTestLoadTest,
    ::testing::Combine(::testing::Values("llama", "llama3", "mistral", "qwen2", "qwen3"),
                       ::testing::Values(CheckpointFormat::kSafetensors),
                       ::testing::Values(DType::kF32, DType::kF16, DType::kBF16)),
    case_name);
INSTANTIATE_TEST_SUITE_P(
    Gguf, MakeTestLoadTest,
    ::testing::Combine(::testing::Values("llama", "llama3", "mistral", "qwen2", "qwen3"),
                       ::testing::Values(CheckpointFormat::kGguf),
                       ::testing::Values(DType::kF32, DType::kF16, DType::kBF16, DType::kQ8_0, DType::kQ4_0,
                                         DType::kQ4_K, DType::kQ6_K)),
    case_name);

// Exact row mapping between the two formats: GGUF row h*hd + 2j + t is HF row h*hd + t*hd/2 + j.
TEST_F(CheckpointTest, GgufLlamaQRowsArePermutedAsLlamaCpp) {
  const auto gg = write_and_load(make_spec("llama", CheckpointFormat::kGguf, DType::kF32, "perm_llama"));
  const auto hf = reference("llama");
  ASSERT_TRUE(gg && hf);
  const MatrixView& a = gg->weights.layers[1].wq;
  const MatrixView& b = hf->weights.layers[1].wq;
  const int64_t hd = 64, cols = 256;
  for (int64_t h : {0, 3})
    for (int64_t j : {0, 5, 31})
      for (int64_t t : {0, 1}) {
        const float* ga = static_cast<const float*>(a.data) + (h * hd + 2 * j + t) * cols;
        const float* hb = static_cast<const float*>(b.data) + (h * hd + t * hd / 2 + j) * cols;
        EXPECT_EQ(std::memcmp(ga, hb, size_t(cols) * 4), 0) << h << " " << j << " " << t;
      }
  // K uses the KV head count: 2 heads of 64 rows.
  const float* gk = static_cast<const float*>(gg->weights.layers[0].wk.data) + (64 + 2 * 3 + 1) * cols;
  const float* hk = static_cast<const float*>(hf->weights.layers[0].wk.data) + (64 + 32 + 3) * cols;
  EXPECT_EQ(std::memcmp(gk, hk, size_t(cols) * 4), 0);
  // Qwen GGUF files keep the Hugging Face order.
  const auto qg = write_and_load(make_spec("qwen2", CheckpointFormat::kGguf, DType::kF32, "perm_qwen2"));
  const auto qh = reference("qwen2");
  ASSERT_TRUE(qg && qh);
  EXPECT_EQ(std::memcmp(qg->weights.layers[0].wq.data, qh->weights.layers[0].wq.data, size_t(256 * 256 * 4)), 0);
}

TEST_F(CheckpointTest, TiedEmbeddingsAndStatistics) {
  for (auto format : {CheckpointFormat::kSafetensors, CheckpointFormat::kGguf}) {
    TestCheckpointSpec spec = make_spec("qwen3", format, DType::kF32, format == CheckpointFormat::kGguf ? "tied_g" : "tied_h");
    spec.tied_embeddings = true;
    const auto ck = write_and_load(spec);
    ASSERT_TRUE(ck);
    EXPECT_TRUE(ck->config.tied_embeddings);
    EXPECT_EQ(ck->weights.output.data, ck->weights.token_embedding.data);
    // embed + final norm + 2 x (2 norms, q, k, v, o, q_norm, k_norm, gate, up, down)
    const int64_t per_layer = 2 * 256 + 256 * 256 + 2 * 128 * 256 + 256 * 256 + 2 * 64 + 3 * 512 * 256;
    EXPECT_EQ(ck->num_parameters, kVocab * 256 + 256 + 2 * per_layer);
    EXPECT_EQ(ck->tensors_by_dtype.at("f32"), 2 + 2 * 11);
  }
}

// Rewrites the header of a .safetensors file in place of its old one (unpadded), keeping the
// data; returns the new header size.
uint64_t edit_safetensors_header(const std::string& path, const std::function<void(json&)>& edit) {
  std::ifstream in(path, std::ios::binary);
  std::vector<char> bytes{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  uint64_t n = 0;
  std::memcpy(&n, bytes.data(), 8);
  json header = json::parse(bytes.begin() + 8, bytes.begin() + 8 + long(n));
  edit(header);
  std::string text = header.dump();
  const uint64_t m = text.size();
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(&m), 8);
  out << text;
  out.write(bytes.data() + 8 + n, long(bytes.size() - 8 - n));
  return m;
}

class HfDirTest : public CheckpointTest {
 protected:
  void SetUp() override {
    spec_ = make_spec("llama", CheckpointFormat::kSafetensors, DType::kF32,
                      std::string("err_") + ::testing::UnitTest::GetInstance()->current_test_info()->name());
    ASSERT_TRUE(write_test_checkpoint(spec_).is_ok());
    st_ = spec_.output_path + "/model.safetensors";
  }
  std::string load_error() {
    auto r = load_checkpoint(spec_.output_path);
    return r.is_ok() ? "loaded" : r.status().message();
  }
  TestCheckpointSpec spec_;
  std::string st_;
};

TEST_F(HfDirTest, MissingTensor) {
  edit_safetensors_header(st_, [](json& h) { h.erase("model.layers.1.mlp.up_proj.weight"); });
  EXPECT_EQ(load_error(), st_ + ": tensor model.layers.1.mlp.up_proj.weight: missing");
}

TEST_F(HfDirTest, WrongShape) {
  edit_safetensors_header(st_, [](json& h) { h["model.layers.1.mlp.up_proj.weight"]["shape"] = {256, 512}; });
  EXPECT_EQ(load_error(), st_ + ": tensor model.layers.1.mlp.up_proj.weight: expected shape [512, 256], found [256, 512]");
}

TEST_F(HfDirTest, UnsupportedDtype) {
  edit_safetensors_header(st_, [](json& h) { h["model.layers.0.self_attn.o_proj.weight"]["dtype"] = "I32"; });
  EXPECT_EQ(load_error(), st_ + ": tensor model.layers.0.self_attn.o_proj.weight: unsupported type I32");
}

TEST_F(HfDirTest, MissingTokenizerAndConfig) {
  fs::remove(spec_.output_path + "/tokenizer.json");
  EXPECT_EQ(load_error(), spec_.output_path + ": tokenizer.json is missing (turbine reads the tokenizer from it)");
  fs::remove(spec_.output_path + "/config.json");
  EXPECT_EQ(load_error(), spec_.output_path + ": config.json is missing (not a Hugging Face checkpoint)");
}

TEST_F(HfDirTest, MisalignedDataIsCopied) {
  // Grow the header until the data section starts off a 4-byte boundary.
  for (std::string pad; (8 + edit_safetensors_header(st_, [&](json& h) { h["__metadata__"]["pad"] = pad; })) % 4 == 0;)
    pad += "x";
  auto r = load_checkpoint(spec_.output_path);
  ASSERT_TRUE(r.is_ok()) << r.status().message();
  const MatrixView& m = (*r)->weights.layers[0].wq;
  EXPECT_EQ(reinterpret_cast<uintptr_t>(m.data) % 4, 0u);
  EXPECT_EQ(std::memcmp(m.data, reference("llama")->weights.layers[0].wq.data, size_t(m.num_bytes())), 0);
}

TEST_F(HfDirTest, ShardedCheckpointLoads) {
  // Split model.safetensors into two shards named by an index.
  auto opened = SafetensorsFile::open(st_);
  ASSERT_TRUE(opened.is_ok());
  std::shared_ptr<SafetensorsFile> single = std::move(opened).value();
  SafetensorsWriter w[2];
  json weight_map;
  int i = 0;
  for (const auto& t : single->tensors()) {
    const int s = i++ % 2;
    ASSERT_TRUE(w[s].add_tensor(t.name, *t.dtype, t.shape, {t.data, t.data + t.num_bytes}).is_ok());
    weight_map[t.name] = "model-0000" + std::to_string(s + 1) + "-of-00002.safetensors";
  }
  for (int s = 0; s < 2; ++s)
    ASSERT_TRUE(w[s].write(spec_.output_path + "/model-0000" + std::to_string(s + 1) + "-of-00002.safetensors").is_ok());
  std::ofstream(spec_.output_path + "/model.safetensors.index.json") << json{{"weight_map", weight_map}}.dump();
  single.reset();  // unmap before the file goes
  fs::remove(st_);
  auto r = load_checkpoint(spec_.output_path);
  ASSERT_TRUE(r.is_ok()) << r.status().message();
  const auto ref = reference("llama");
  EXPECT_EQ(std::memcmp((*r)->weights.layers[1].w_down.data, ref->weights.layers[1].w_down.data, 256 * 512 * 4), 0);
  EXPECT_EQ((*r)->weights.layers[1].ffn_norm, ref->weights.layers[1].ffn_norm);

  const std::string shard = weight_map["model.embed_tokens.weight"].get<std::string>();
  edit_safetensors_header(spec_.output_path + "/" + shard, [](json& h) { h.erase("model.embed_tokens.weight"); });
  EXPECT_EQ(load_error(), spec_.output_path + "/model.safetensors.index.json: tensor model.embed_tokens.weight is mapped to " +
                              shard + ", which does not contain it");
}

TEST_F(HfDirTest, ChatTemplateList) {
  std::ofstream(spec_.output_path + "/tokenizer_config.json")
      << R"({"chat_template": [{"name": "tool_use", "template": "T"}, {"name": "default", "template": "D"}]})";
  auto r = load_checkpoint(spec_.output_path);
  ASSERT_TRUE(r.is_ok()) << r.status().message();
  EXPECT_EQ((*r)->chat_template, "D");
  std::ofstream(spec_.output_path + "/chat_template.jinja") << "J";
  EXPECT_EQ((*load_checkpoint(spec_.output_path))->chat_template, "J");
}

class GgufFileTest : public CheckpointTest {
 protected:
  void SetUp() override {
    spec_ = make_spec("llama", CheckpointFormat::kGguf, DType::kF32,
                      std::string("gerr_") + ::testing::UnitTest::GetInstance()->current_test_info()->name());
    ASSERT_TRUE(write_test_checkpoint(spec_).is_ok());
  }
  // Rewrites the file from its own tensors with `edit` applied to each (name, dims, bytes).
  void rewrite(const std::function<bool(std::string&, std::vector<int64_t>&, std::vector<uint8_t>&)>& edit) {
    auto opened = GgufFile::open(spec_.output_path);
    ASSERT_TRUE(opened.is_ok());
    std::shared_ptr<GgufFile> g = std::move(opened).value();
    GgufWriter w;
    ASSERT_TRUE(minimal_gguf_tokenizer(w).is_ok());
    write_gguf_config(*config_from_gguf(*g), w);
    for (const auto& t : g->tensors()) {
      std::string name = t.name;
      std::vector<int64_t> dims = t.dims;
      std::vector<uint8_t> bytes(t.data, t.data + t.num_bytes);
      if (edit(name, dims, bytes)) w.add_tensor(name, *dtype_from_ggml(t.ggml_type), dims, std::move(bytes));
    }
    g.reset();  // unmap before the file is rewritten
    ASSERT_TRUE(w.write(spec_.output_path).is_ok());
  }
  std::string load_error() {
    auto r = load_checkpoint(spec_.output_path);
    return r.is_ok() ? "loaded" : r.status().message();
  }
  TestCheckpointSpec spec_;
};

TEST_F(GgufFileTest, MissingTensor) {
  rewrite([](std::string& n, std::vector<int64_t>&, std::vector<uint8_t>&) { return n != "blk.1.attn_k.weight"; });
  EXPECT_EQ(load_error(), spec_.output_path + ": tensor blk.1.attn_k.weight: missing");
}

TEST_F(GgufFileTest, WrongShape) {
  rewrite([](std::string& n, std::vector<int64_t>& d, std::vector<uint8_t>& b) {
    if (n == "blk.1.ffn_up.weight") d = {256, 500}, b.resize(256 * 500 * 4);
    return true;
  });
  EXPECT_EQ(load_error(), spec_.output_path + ": tensor blk.1.ffn_up.weight: expected shape [256, 512], found [256, 500]");
}

TEST_F(GgufFileTest, UnsupportedType) {
  // Patch blk.1.ffn_up.weight's type id in the tensor directory from f32 (0) to q5_K (13):
  // name, u32 n_dims, n_dims x u64 dims, then the u32 type.
  std::fstream f(spec_.output_path, std::ios::in | std::ios::out | std::ios::binary);
  std::string bytes{std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
  const std::string name = "blk.1.ffn_up.weight";
  const size_t at = bytes.find(name);
  ASSERT_NE(at, std::string::npos);
  const size_t type_at = at + name.size() + 4 + 2 * 8;
  uint32_t type = 99;
  std::memcpy(&type, &bytes[type_at], 4);
  ASSERT_EQ(type, 0u);
  const uint32_t q5_k = 13;
  f.seekp(long(type_at));
  f.write(reinterpret_cast<const char*>(&q5_k), 4);
  f.close();
  EXPECT_EQ(load_error(), spec_.output_path + ": tensor blk.1.ffn_up.weight: unsupported type q5_K");
}

TEST_F(GgufFileTest, UnsupportedArchitectureAndMissingKey) {
  GgufWriter w;
  w.set_string("general.architecture", "gpt2");
  ASSERT_TRUE(w.write(spec_.output_path).is_ok());
  EXPECT_EQ(load_error(), spec_.output_path + ": unsupported architecture gpt2 (turbine runs llama, qwen2, qwen3)");
  GgufWriter w2;
  w2.set_string("general.architecture", "qwen2");
  w2.set_uint32("qwen2.embedding_length", 256);
  ASSERT_TRUE(w2.write(spec_.output_path).is_ok());
  EXPECT_EQ(load_error(), spec_.output_path + ": missing qwen2.block_count");
}

// config.json parsing: values, defaults and the errors, each naming the file.
constexpr const char* kCfg = "/ckpt/config.json";

json llama_config() {
  return {{"architectures", {"LlamaForCausalLM"}}, {"hidden_size", 2048}, {"num_hidden_layers", 16},
          {"num_attention_heads", 32}, {"num_key_value_heads", 8}, {"intermediate_size", 8192},
          {"vocab_size", 128256}, {"max_position_embeddings", 131072}, {"rms_norm_eps", 1e-5},
          {"rope_theta", 500000.0}, {"tie_word_embeddings", true},
          {"rope_scaling", {{"rope_type", "llama3"}, {"factor", 32.0}, {"low_freq_factor", 1.0},
                            {"high_freq_factor", 4.0}, {"original_max_position_embeddings", 8192}}}};
}

std::string hf_error(const json& j) {
  auto r = parse_hf_config(j.dump(), kCfg);
  return r.is_ok() ? "parsed" : r.status().message();
}

TEST(HfConfigTest, ParsesLlama32) {
  auto r = parse_hf_config(llama_config().dump(), kCfg);
  ASSERT_TRUE(r.is_ok()) << r.status().message();
  const ModelConfig& c = *r;
  EXPECT_EQ(c.arch, Architecture::kLlama);
  EXPECT_EQ(c.head_dim, 64);
  EXPECT_EQ(c.num_kv_heads, 8);
  EXPECT_EQ(c.context_length, 131072);
  EXPECT_EQ(c.rope_style, RopeStyle::kNeox);
  EXPECT_TRUE(c.tied_embeddings);
  EXPECT_FALSE(c.qkv_bias);
  EXPECT_EQ(c.rope_scaling.type, RopeScaling::Type::kLlama3);
  EXPECT_EQ(c.rope_scaling.factor, 32.0f);
  EXPECT_EQ(c.rope_theta, 500000.0f);
  // What hf_config_json writes reads back the same.
  auto again = parse_hf_config(hf_config_json(c, "LlamaForCausalLM", DType::kBF16), kCfg);
  ASSERT_TRUE(again.is_ok()) << again.status().message();
  EXPECT_EQ(again->rms_norm_eps, c.rms_norm_eps);
  EXPECT_EQ(again->rope_scaling.original_context_length, 8192);
  EXPECT_NE(hf_config_json(c, "LlamaForCausalLM", DType::kBF16).find("\"rms_norm_eps\": 1e-05"), std::string::npos);
}

TEST(HfConfigTest, DefaultsAndArchitectures) {
  json j = llama_config();
  j.erase("num_key_value_heads");
  j.erase("rope_scaling");
  j["head_dim"] = nullptr;
  auto r = parse_hf_config(j.dump(), kCfg);
  ASSERT_TRUE(r.is_ok());
  EXPECT_EQ(r->num_kv_heads, 32);
  EXPECT_EQ(r->head_dim, 64);
  EXPECT_EQ(r->rope_scaling.type, RopeScaling::Type::kNone);

  j["architectures"] = {"Qwen2ForCausalLM"};
  j["use_sliding_window"] = false;
  j["sliding_window"] = 4096;
  r = parse_hf_config(j.dump(), kCfg);
  ASSERT_TRUE(r.is_ok());
  EXPECT_EQ(r->arch, Architecture::kQwen2);
  EXPECT_TRUE(r->qkv_bias);
  EXPECT_EQ(r->context_length, 131072);

  j["architectures"] = {"MistralForCausalLM"};  // Mistral's window caps the context
  r = parse_hf_config(j.dump(), kCfg);
  ASSERT_TRUE(r.is_ok());
  EXPECT_EQ(r->arch, Architecture::kLlama);
  EXPECT_EQ(r->context_length, 4096);

  j["architectures"] = {"Qwen3ForCausalLM"};
  j["head_dim"] = 128;
  j["rope_scaling"] = {{"type", "default"}};
  r = parse_hf_config(j.dump(), kCfg);
  ASSERT_TRUE(r.is_ok());
  EXPECT_TRUE(r->qk_norm);
  EXPECT_EQ(r->head_dim, 128);
}

TEST(HfConfigTest, Errors) {
  EXPECT_EQ(hf_error(json::array()), std::string(kCfg) + ": not a JSON object");
  EXPECT_EQ(parse_hf_config("{\"a\":", kCfg).status().message(), std::string(kCfg) + ": not valid JSON");
  json j = llama_config();
  j["architectures"] = {"GPT2LMHeadModel"};
  EXPECT_EQ(hf_error(j), std::string(kCfg) +
                             ": unsupported architecture GPT2LMHeadModel (turbine runs LlamaForCausalLM, "
                             "MistralForCausalLM, Qwen2ForCausalLM, Qwen3ForCausalLM)");
  EXPECT_EQ(parse_hf_config(j.dump(), kCfg).status().code(), ErrorCode::kUnsupported);
  j = llama_config();
  j["rope_scaling"] = {{"rope_type", "yarn"}, {"factor", 4.0}};
  EXPECT_EQ(hf_error(j), std::string(kCfg) + ": rope_scaling type \"yarn\" is not supported (turbine supports default and llama3)");
  j = llama_config();
  j.erase("hidden_size");
  EXPECT_EQ(hf_error(j), std::string(kCfg) + ": missing \"hidden_size\"");
  j = llama_config();
  j["num_hidden_layers"] = "16";
  EXPECT_EQ(hf_error(j), std::string(kCfg) + ": \"num_hidden_layers\" must be an integer");
  j = llama_config();
  j["num_key_value_heads"] = 7;
  EXPECT_EQ(hf_error(j), std::string(kCfg) + ": num_heads = 32 is not a multiple of num_kv_heads = 7");
  j = llama_config();
  j["intermediate_size"] = 0;
  EXPECT_EQ(hf_error(j), std::string(kCfg) + ": ffn_size = 0 is out of range [1, 16777216]");
  j = llama_config();
  j["num_hidden_layers"] = 1000000000000;
  EXPECT_NE(hf_error(j).find("num_layers = 1000000000000 is out of range"), std::string::npos);
  j = llama_config();
  j["hidden_act"] = "gelu";
  EXPECT_EQ(hf_error(j), std::string(kCfg) + ": hidden_act \"gelu\" is not supported (turbine runs silu)");
  j = llama_config();
  j["attention_bias"] = true;
  EXPECT_NE(hf_error(j).find("attention_bias"), std::string::npos);
  j = llama_config();
  j["hidden_size"] = 2050;
  j.erase("head_dim");
  EXPECT_NE(hf_error(j).find("not a multiple of num_attention_heads"), std::string::npos);
  j = llama_config();
  j["rope_scaling"] = {{"rope_type", "llama3"}};
  EXPECT_EQ(hf_error(j), std::string(kCfg) + ": llama3 rope_scaling needs \"factor\"");
}

TEST_F(CheckpointTest, PathsThatAreNotCheckpoints) {
  auto r = load_checkpoint((suite_dir() / "nothing_here").string());
  ASSERT_FALSE(r.is_ok());
  EXPECT_EQ(r.status().code(), ErrorCode::kNotFound);
  fs::create_directories(suite_dir());
  const std::string txt = (suite_dir() / "notes.txt").string();
  std::ofstream(txt) << "hello";
  r = load_checkpoint(txt);
  ASSERT_FALSE(r.is_ok());
  EXPECT_EQ(r.status().message(), txt + ": not a .gguf file or a Hugging Face checkpoint directory");
  const std::string bad = (suite_dir() / "bad.gguf").string();
  std::ofstream(bad) << "GGUF";
  r = load_checkpoint(bad);
  ASSERT_FALSE(r.is_ok());
  EXPECT_EQ(r.status().message().rfind(bad, 0), 0u) << r.status().message();
}

}  // namespace
}  // namespace turbine
