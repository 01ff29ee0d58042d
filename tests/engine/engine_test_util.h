// Shared by the engine tests: test checkpoints made once per process with the real
// `turbine model make-test`, reference logits from the tools in tests/tools, and our own
// logits through ModelRunner.
#pragma once

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/file.h>
#include <unistd.h>

#include <array>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <numeric>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "backend/backend.h"
#include "engine/model_runner.h"
#include "model/checkpoint.h"

namespace turbine::testing {

using Logits = std::vector<std::vector<float>>;  // [positions][vocab]

inline std::string source_dir() { return TURBINE_SOURCE_DIR; }

// Runs a shell command; returns its stdout, or an error with the exit status.
inline Result<std::string> run_command(const std::string& cmd) {
  std::unique_ptr<FILE, int (*)(FILE*)> pipe(popen(cmd.c_str(), "r"), pclose);
  if (!pipe) return io_error("cannot run: " + cmd);
  std::string out;
  std::array<char, 65536> buf;
  size_t n;
  while ((n = fread(buf.data(), 1, buf.size(), pipe.get())) > 0) out.append(buf.data(), n);
  const int rc = pclose(pipe.release());
  if (rc != 0) return io_error("exit status " + std::to_string(rc) + " from: " + cmd);
  return out;
}

// make-test checkpoints live beside the binary (build/test-models) and are shared by every test
// process: ctest runs each test case in its own process, and a checkpoint with a 128k-token
// vocabulary takes seconds to write. A lock file serialises their creation.
inline std::string test_model_dir() {
  const std::string dir = std::filesystem::path(TURBINE_BINARY).parent_path().string() + "/test-models";
  std::filesystem::create_directories(dir);
  return dir;
}

// Makes (once) the checkpoint `arch`-`dtype` in `format` and returns its path.
inline std::string make_test_model(const std::string& arch, const std::string& format, const std::string& dtype) {
  const std::string dir = test_model_dir();
  const std::string path = dir + "/" + arch + "-" + dtype + (format == "gguf" ? ".gguf" : "-hf");
  const int lock = ::open((dir + "/.lock").c_str(), O_CREAT | O_RDWR, 0644);
  EXPECT_GE(lock, 0);
  ::flock(lock, LOCK_EX);
  if (!std::filesystem::exists(path)) {
    const auto out = run_command(std::string(TURBINE_BINARY) + " model make-test --out " + dir + " --arch " +
                                 arch + " --format " + format + " --dtype " + dtype);
    EXPECT_TRUE(out.is_ok()) << out.status().message();
  }
  ::flock(lock, LOCK_UN);
  ::close(lock);
  return path;
}

inline std::string join_ids(const std::vector<int32_t>& ids) {
  std::string s;
  for (size_t i = 0; i < ids.size(); ++i) s += (i ? "," : "") + std::to_string(ids[i]);
  return s;
}

inline Result<Logits> parse_logits_json(const std::string& text) {
  const auto j = nlohmann::json::parse(text, nullptr, false);
  if (!j.is_object() || !j.contains("logits")) return invalid_argument("no logits in: " + text.substr(0, 200));
  return j["logits"].get<Logits>();
}

// Every position's logits from the independent implementations.
inline Result<Logits> reference_logits(const std::string& path, const std::vector<int32_t>& ids) {
  std::string cmd;
  if (path.size() > 5 && path.substr(path.size() - 5) == ".gguf")
    cmd = "node " + source_dir() + "/tests/tools/llama_cpp_logits.mjs " + path + " --kv f32 --threads 2 --all-positions --tokens " + join_ids(ids);
  else
    cmd = "/usr/bin/python3 " + source_dir() + "/tests/tools/reference_forward.py " + path + " --all-positions --tokens " + join_ids(ids);
  TB_ASSIGN_OR_RETURN(std::string out, run_command(cmd + " 2>/dev/null"));
  return parse_logits_json(out);
}

// Our logits for every position of `ids`, fed as prompt chunks of `chunk` tokens (the KV of
// earlier chunks is read back from the paged cache).
inline Result<Logits> engine_logits(const std::string& path, const std::vector<int32_t>& ids,
                                    int64_t chunk = 1 << 30, DType kv = DType::kF32, const std::string& isa = "auto") {
  TB_ASSIGN_OR_RETURN(auto ckpt, load_checkpoint(path));
  TB_ASSIGN_OR_RETURN(auto backend, make_cpu_backend({.num_threads = 2, .isa = isa}));
  ModelRunnerOptions options;
  options.kv.dtype = kv;
  options.kv.block_size = 4;  // many blocks even for short prompts
  options.max_context_tokens = int64_t(ids.size()) + 8;
  TB_ASSIGN_OR_RETURN(auto runner, ModelRunner::create(ckpt, *backend, options));
  // Blocks in reverse order, so a wrong block-table lookup cannot pass by accident.
  std::vector<int32_t> table(size_t(runner->num_kv_blocks()));
  std::iota(table.rbegin(), table.rend(), 0);
  const int64_t vocab = ckpt->config.vocab_size;
  Logits result;
  for (size_t done = 0; done < ids.size();) {
    const size_t n = std::min(ids.size() - done, size_t(chunk));
    ForwardBatch b;
    b.add_sequence({ids.begin() + long(done), ids.begin() + long(done + n)}, int64_t(done), table,
                   runner->block_size(), false);
    for (size_t i = 0; i < n; ++i) b.logit_rows.push_back(int32_t(i));
    std::vector<float> logits(n * size_t(vocab));
    TB_RETURN_IF_ERROR(runner->forward(b, logits.data()));
    for (size_t i = 0; i < n; ++i)
      result.emplace_back(logits.begin() + long(i * vocab), logits.begin() + long((i + 1) * vocab));
    done += n;
  }
  return result;
}

struct LogitDiff {
  double max_abs = 0;          // largest |a - b| over all positions and tokens
  double ref_std = 0;          // standard deviation of the reference logits
  double top1_agreement = 0;   // fraction of positions with the same argmax
};

inline LogitDiff compare_logits(const Logits& ours, const Logits& ref) {
  LogitDiff d;
  double sum = 0, sum2 = 0;
  size_t count = 0, agree = 0;
  EXPECT_EQ(ours.size(), ref.size());
  for (size_t p = 0; p < std::min(ours.size(), ref.size()); ++p) {
    EXPECT_EQ(ours[p].size(), ref[p].size());
    for (size_t t = 0; t < std::min(ours[p].size(), ref[p].size()); ++t) {
      d.max_abs = std::max(d.max_abs, double(std::fabs(ours[p][t] - ref[p][t])));
      sum += ref[p][t];
      sum2 += double(ref[p][t]) * ref[p][t];
      ++count;
    }
    const auto argmax = [](const std::vector<float>& v) { return std::max_element(v.begin(), v.end()) - v.begin(); };
    agree += argmax(ours[p]) == argmax(ref[p]);
  }
  const double mean = sum / double(std::max<size_t>(count, 1));
  d.ref_std = std::sqrt(std::max(0.0, sum2 / double(std::max<size_t>(count, 1)) - mean * mean));
  d.top1_agreement = double(agree) / double(std::max<size_t>(ref.size(), 1));
  return d;
}

}  // namespace turbine::testing
