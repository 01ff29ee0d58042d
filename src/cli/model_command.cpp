// `turbine model info|tokenize`: inspect a checkpoint and its tokenizer.
#include <cstdio>
#include <iostream>
#include <iterator>
#include <sstream>
#include <string>

#include "cli/commands.h"
#include "model/checkpoint.h"
#include "tokenizer/tokenizer.h"

namespace turbine::cli {
namespace {

int fail(const Status& s) {
  std::fprintf(stderr, "turbine: %s\n", s.message().c_str());
  return 1;
}

std::string human_count(int64_t n) {
  char buf[32];
  if (n >= 1'000'000'000) std::snprintf(buf, sizeof buf, "%.2fB", double(n) / 1e9);
  else if (n >= 1'000'000) std::snprintf(buf, sizeof buf, "%.2fM", double(n) / 1e6);
  else if (n >= 1'000) std::snprintf(buf, sizeof buf, "%.1fK", double(n) / 1e3);
  else std::snprintf(buf, sizeof buf, "%lld", static_cast<long long>(n));
  return buf;
}

int run_info(const std::string& path) {
  auto ckpt = load_checkpoint(path);
  if (!ckpt) return fail(ckpt.status());
  const Checkpoint& c = **ckpt;
  const ModelConfig& m = c.config;
  std::printf("path:             %s\n", c.path.c_str());
  std::printf("format:           %s\n", c.format == CheckpointFormat::kGguf ? "gguf" : "safetensors");
  std::printf("architecture:     %s\n", std::string(architecture_name(m.arch)).c_str());
  std::printf("parameters:       %s (%lld)\n", human_count(c.num_parameters).c_str(),
              static_cast<long long>(c.num_parameters));
  std::printf("weight types:    ");
  for (const auto& [type, count] : c.tensors_by_dtype) std::printf(" %s x%lld", type.c_str(), static_cast<long long>(count));
  std::printf("\n");
  std::printf("layers:           %lld\n", static_cast<long long>(m.num_layers));
  std::printf("hidden size:      %lld\n", static_cast<long long>(m.hidden_size));
  std::printf("heads:            %lld (kv %lld, head dim %lld)\n", static_cast<long long>(m.num_heads),
              static_cast<long long>(m.num_kv_heads), static_cast<long long>(m.head_dim));
  std::printf("ffn size:         %lld\n", static_cast<long long>(m.ffn_size));
  std::printf("vocab size:       %lld\n", static_cast<long long>(m.vocab_size));
  std::printf("context length:   %lld\n", static_cast<long long>(m.context_length));
  std::printf("rope:             theta %g, %s%s\n", double(m.rope_theta),
              m.rope_style == RopeStyle::kNeox ? "neox" : "interleaved",
              m.rope_scaling.type == RopeScaling::Type::kLlama3 || !m.rope_freq_factors.empty()
                  ? ", llama3 scaling" : "");
  std::printf("tied embeddings:  %s\n", m.tied_embeddings ? "yes" : "no");
  auto tok = Tokenizer::from_checkpoint(c);
  if (tok) {
    std::printf("tokenizer:        %s, %d tokens, bos %d, eos %d\n", std::string((*tok)->kind()).c_str(),
                (*tok)->vocab_size(), (*tok)->bos_id(), (*tok)->eos_id());
  } else {
    std::printf("tokenizer:        unusable: %s\n", tok.status().message().c_str());
  }
  std::printf("chat template:    %s\n", c.chat_template.empty() ? "no" : "yes");
  std::printf("KV bytes/token:   %lld (f16), %lld (f32)",
              static_cast<long long>(m.kv_bytes_per_token(DType::kF16)),
              static_cast<long long>(m.kv_bytes_per_token(DType::kF32)));
  if (m.head_dim % kQK == 0)  // q8_0 KV needs whole blocks per head
    std::printf(", %lld (q8_0)", static_cast<long long>(m.kv_bytes_per_token(DType::kQ8_0)));
  std::printf("\n");
  return 0;
}

int run_tokenize(const std::string& path, bool decode, bool add_bos, bool no_special) {
  auto ckpt = load_checkpoint(path);
  if (!ckpt) return fail(ckpt.status());
  auto tok = Tokenizer::from_checkpoint(**ckpt);
  if (!tok) return fail(tok.status());
  std::string input(std::istreambuf_iterator<char>(std::cin), {});
  if (decode) {
    std::vector<int32_t> ids;
    std::istringstream in(input);
    for (std::string word; in >> word;) {
      try {
        ids.push_back(int32_t(std::stol(word)));
      } catch (const std::exception&) {
        return fail(invalid_argument("not a token id: '" + word + "'"));
      }
      if (ids.back() < 0 || ids.back() >= (*tok)->vocab_size())
        return fail(invalid_argument("token id " + word + " is outside the vocabulary"));
    }
    std::fputs((*tok)->decode(ids).c_str(), stdout);
    return 0;
  }
  const auto ids = (*tok)->encode(input, add_bos, !no_special);
  for (size_t i = 0; i < ids.size(); ++i) std::printf("%s%d", i ? " " : "", ids[i]);
  std::printf("\n");
  return 0;
}

}  // namespace

void add_model_command(CLI::App& app) {
  auto* model = app.add_subcommand("model", "inspect checkpoints, tokenize, make test checkpoints");
  model->require_subcommand(1);

  auto* info = model->add_subcommand("info", "architecture, sizes, weight types, tokenizer");
  static std::string info_path;
  info->add_option("path", info_path, "a .gguf file or a Hugging Face model directory")->required();
  info->callback([] { std::exit(run_info(info_path)); });

  auto* tokenize = model->add_subcommand("tokenize", "text on stdin -> token ids (or --decode)");
  static std::string tok_path;
  static bool decode = false, add_bos = false, no_special = false;
  tokenize->add_option("path", tok_path, "checkpoint whose tokenizer to use")->required();
  tokenize->add_flag("--decode", decode, "token ids on stdin -> text");
  tokenize->add_flag("--bos", add_bos, "prepend the BOS token");
  tokenize->add_flag("--no-special", no_special, "tokenize special-token text as plain text");
  tokenize->callback([] { std::exit(run_tokenize(tok_path, decode, add_bos, no_special)); });

  add_make_test_command(*model);
}

}  // namespace turbine::cli
