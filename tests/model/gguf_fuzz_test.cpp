// Corrupted GGUF files: truncations, byte mutations and handcrafted hostile headers. Each must
// either open or fail with a message that starts with the file path; never crash, abort or hang
// (the test finishing is the proof). ASan and valgrind cannot see a read past the end of a
// mapping inside its last page, so every view the reader hands out is also checked explicitly.
#include <gtest/gtest.h>

#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "gguf_test_util.h"
#include "model/gguf.h"
#include "model/quantize.h"

namespace turbine {
namespace {

using test::GgufBytes;
using test::read_file_bytes;
using test::TempDir;
using test::write_file_bytes;

// A small but complete file: every metadata shape the loader reads and tensors in four dtypes.
std::vector<uint8_t> make_seed_file(const TempDir& dir) {
  GgufWriter w;
  w.set_string("general.architecture", "llama");
  w.set_uint32("llama.block_count", 1);
  w.set_float32("llama.rope.freq_base", 10000.0f);
  w.set_bool("tokenizer.ggml.add_bos_token", true);
  w.set_uint64("big", 1ull << 40);
  w.set_string_array("tokenizer.ggml.tokens", {"<s>", "</s>", "a", "bc", "\xe2\x96\x81"});
  w.set_float32_array("tokenizer.ggml.scores", {0, 0, -1, -2, -3});
  w.set_int32_array("tokenizer.ggml.token_type", {3, 3, 1, 1, 1});
  std::vector<float> x(512);
  for (size_t i = 0; i < x.size(); ++i) x[i] = float(i % 13) - 6.0f;
  w.add_tensor("blk.0.attn_q.weight", DType::kQ4_K, {256, 2}, *quantize_tensor(DType::kQ4_K, x.data(), 2, 256));
  w.add_tensor("token_embd.weight", DType::kQ8_0, {32, 5}, *quantize_tensor(DType::kQ8_0, x.data(), 5, 32));
  w.add_tensor("output_norm.weight", DType::kF32, {4}, *quantize_tensor(DType::kF32, x.data(), 1, 4));
  w.add_tensor("rope", DType::kF16, {8, 2}, *quantize_tensor(DType::kF16, x.data(), 2, 8));
  const std::string path = dir.path("seed.gguf");
  if (!w.write(path).is_ok()) return {};
  return read_file_bytes(path);
}

// Writes `bytes`, opens the file and checks the outcome. Returns a description of what went
// wrong, or "" when the open behaved. On success every byte handed out is read (so ASan or
// valgrind sees any view past the mapping).
std::string check_open(const std::string& path, const std::vector<uint8_t>& bytes, bool* opened = nullptr) {
  write_file_bytes(path, bytes);
  auto f = GgufFile::open(path);
  if (opened != nullptr) *opened = f.is_ok();
  if (!f.is_ok()) {
    const std::string& m = f.status().message();
    if (m.rfind(path + ": ", 0) != 0) return "error does not start with the path: " + m;
    return "";
  }
  const uint8_t* begin = (*f)->mapping()->data();
  const uint8_t* end = begin + (*f)->mapping()->size();
  volatile uint64_t sum = 0;
  for (const auto& t : (*f)->tensors()) {
    if (t.data == nullptr) continue;
    if (t.data < begin || t.num_bytes > uint64_t(end - t.data)) return "tensor '" + t.name + "' outside the file";
    for (uint64_t i = 0; i < t.num_bytes; ++i) sum = sum + t.data[i];
  }
  for (const auto& [key, v] : (*f)->metadata()) {
    for (std::string_view s : v.strings) {
      const auto* p = reinterpret_cast<const uint8_t*>(s.data());
      if (p < begin || s.size() > size_t(end - p)) return "a string of '" + key + "' outside the file";
      for (char c : s) sum = sum + uint8_t(c);
    }
  }
  return "";
}

class GgufFuzz : public ::testing::Test {
 protected:
  void SetUp() override {
    seed_ = make_seed_file(dir_);
    ASSERT_FALSE(seed_.empty());
    path_ = dir_.path("variant.gguf");
    auto f = GgufFile::open(dir_.path("seed.gguf"));
    ASSERT_TRUE(f.is_ok()) << f.status().message();
    const GgufTensorInfo* first = &(*f)->tensors()[0];
    data_start_ = size_t(first->data - (*f)->mapping()->data() - first->offset);
    data_end_ = 0;
    for (const auto& t : (*f)->tensors()) {
      data_end_ = std::max(data_end_, size_t(t.data - (*f)->mapping()->data()) + size_t(t.num_bytes));
    }
  }
  TempDir dir_;
  std::vector<uint8_t> seed_;
  std::string path_;
  size_t data_start_ = 0;  // end of header + metadata + tensor infos, padded
  size_t data_end_ = 0;    // one past the last tensor byte
};

TEST_F(GgufFuzz, EveryTruncationFailsCleanly) {
  ASSERT_GT(data_start_, 200u);
  int checked = 0;
  for (size_t len = 0; len < seed_.size(); len += (len < data_start_ + 64 ? 1 : 7)) {
    std::vector<uint8_t> cut(seed_.begin(), seed_.begin() + long(len));
    bool opened = false;
    const std::string problem = check_open(path_, cut, &opened);
    ASSERT_EQ(problem, "") << "truncated to " << len << " bytes";
    // Only padding after the last tensor may go missing without breaking the file.
    if (len < data_end_) {
      ASSERT_FALSE(opened) << "a file cut to " << len << " bytes opened";
    }
    ++checked;
  }
  bool opened = false;
  ASSERT_EQ(check_open(path_, seed_, &opened), "");
  EXPECT_TRUE(opened);
  EXPECT_GT(checked, 500);
}

TEST_F(GgufFuzz, SingleByteOverwritesFailCleanly) {
  std::mt19937 rng(1234);
  int opened_count = 0, failed_count = 0;
  for (size_t pos = 0; pos < data_start_; ++pos) {
    for (int variant = 0; variant < 3; ++variant) {
      auto bytes = seed_;
      bytes[pos] = variant == 0 ? 0x00 : variant == 1 ? 0xFF : uint8_t(rng());
      bool opened = false;
      ASSERT_EQ(check_open(path_, bytes, &opened), "") << "byte " << pos << " set to " << int(bytes[pos]);
      (opened ? opened_count : failed_count)++;
    }
  }
  // Both outcomes occur: string bytes may change freely, counts and types may not.
  EXPECT_GT(opened_count, 100);
  EXPECT_GT(failed_count, 100);
}

TEST_F(GgufFuzz, RandomMultiByteMutationsFailCleanly) {
  std::mt19937 rng(42);
  // Values that break length and count fields in interesting ways.
  const uint64_t kEvil[] = {0, 1, 0x7F, 0xFF, 0x7FFFFFFF, 0xFFFFFFFF, 1ull << 32, 1ull << 62,
                            0x7FFFFFFFFFFFFFFFull, ~0ull, uint64_t(-32), 0x8000000000000000ull};
  for (int iter = 0; iter < 6000; ++iter) {
    auto bytes = seed_;
    const int edits = 1 + int(rng() % 4);
    std::string what;
    for (int e = 0; e < edits; ++e) {
      // Mostly inside the header/metadata/infos, where the structure lives.
      const size_t limit = rng() % 8 == 0 ? bytes.size() : data_start_;
      const size_t pos = rng() % limit;
      if (rng() % 2 == 0 && pos + 8 <= bytes.size()) {
        const uint64_t v = kEvil[rng() % std::size(kEvil)];
        std::memcpy(bytes.data() + pos, &v, rng() % 2 ? 8 : 4);
        what += " field@" + std::to_string(pos);
      } else {
        bytes[pos] = uint8_t(rng());
        what += " byte@" + std::to_string(pos);
      }
    }
    ASSERT_EQ(check_open(path_, bytes), "") << "iteration " << iter << ":" << what;
  }
}

// ---- handcrafted hostile files ------------------------------------------------------------------------

struct EvilCase {
  const char* name;
  std::vector<uint8_t> bytes;
  const char* expected;  // a part of the error message naming the fault
};

std::vector<EvilCase> evil_cases() {
  std::vector<EvilCase> cases;
  auto add = [&](const char* name, const GgufBytes& b, const char* expected) {
    cases.push_back({name, b.bytes(), expected});
  };
  add("huge key length", GgufBytes().set_counts(0, 1).u64(1ull << 62).data(std::vector<uint8_t>(16, 0)),
      "the key of metadata entry #0 at offset 24 claims 4611686018427387904 bytes");
  add("huge string value", GgufBytes().kv_raw("k", GgufValueType::kString).u64(~0ull),
      "metadata key 'k' at offset 37 claims");
  add("huge array count", GgufBytes().kv_raw("a", GgufValueType::kArray).u32(0).u64(1ull << 60),
      "claims 1152921504606846976 uint8 elements");
  add("huge string array", GgufBytes().kv_raw("a", GgufValueType::kArray).u32(8).u64(1ull << 40).u64(1),
      "string elements, more than");
  add("key longer than 64 KiB", GgufBytes().set_counts(0, 1).u64(70000).data(std::vector<uint8_t>(70016, 'k')),
      "the key of metadata entry #0 at offset 24 is 70000 bytes long; turbine reads at most 65536");
  add("huge n_kv", GgufBytes().set_counts(0, 1ull << 60), "claims 1152921504606846976 metadata entries");
  add("huge n_tensors", GgufBytes().set_counts(~0ull, 0), "claims 18446744073709551615 tensors");
  add("unknown value type", GgufBytes().kv_raw("k", GgufValueType(13)).u32(0), "'k' has unknown value type 13");
  add("unknown array type", GgufBytes().kv_raw("k", GgufValueType::kArray).u32(77).u64(0),
      "unknown element type 77");
  add("duplicate key", GgufBytes().kv_u32("k", 1).kv_u32("k", 2), "metadata key 'k' appears more than once");
  add("alignment 3", GgufBytes().kv_u32("general.alignment", 3), "'general.alignment' is 3");
  add("alignment 0", GgufBytes().kv_u32("general.alignment", 0), "'general.alignment' is 0");
  add("alignment string", GgufBytes().kv_str("general.alignment", "32"), "must be a positive integer");
  {
    GgufBytes deep;
    deep.kv_raw("deep", GgufValueType::kArray);
    for (int i = 0; i < 5; ++i) deep.u32(uint32_t(GgufValueType::kArray)).u64(1);
    deep.u32(0).u64(0);
    add("arrays nested 5 deep", deep, "nested deeper than 3");
  }
  auto one_tensor = [](std::vector<uint64_t> dims, uint32_t type, uint64_t offset, size_t data_bytes) {
    GgufBytes b;
    b.tensor("w", dims, type, offset).finish_infos().data(std::vector<uint8_t>(data_bytes, 0));
    return b;
  };
  add("offset past EOF", one_tensor({4}, 0, 1ull << 40, 64), "tensor 'w' has data offset 1099511627776 past the end");
  add("data runs past EOF", one_tensor({64}, 0, 0, 64), "tensor 'w' needs 256 bytes at data offset 0");
  add("offset + size wraps", one_tensor({8}, 0, ~0ull - 31, 64), "past the end");
  add("unaligned offset", one_tensor({4}, 0, 4, 64), "not a multiple of the alignment 32");
  add("zero dimension", one_tensor({4, 0}, 0, 0, 64), "tensor 'w' has dimension 1 = 0");
  add("negative dimension", one_tensor({~0ull}, 0, 0, 64), "tensor 'w' has dimension 0 = -1");
  add("element count overflow", one_tensor({1ull << 40, 1ull << 40}, 0, 0, 64), "overflows 64 bits");
  add("byte count overflow", one_tensor({1ull << 62}, 0, 0, 64), "size in bytes overflows");
  add("5 dimensions", one_tensor({1, 1, 1, 1, 1}, 0, 0, 64), "has 5 dimensions");
  add("0 dimensions", one_tensor({}, 0, 0, 64), "has 0 dimensions");
  add("partial block", one_tensor({33}, 2, 0, 64), "33 elements in its first dimension, not a multiple of the q4_0 block size 32");
  {
    GgufBytes b;
    b.tensor("w", {4}, 0, 0).tensor("w", {4}, 0, 32).finish_infos().data(std::vector<uint8_t>(64, 0));
    add("duplicate tensor", b, "tensor 'w' appears more than once");
  }
  add("too many tensors for the bytes left", GgufBytes().set_counts(1, 0).u64(100), "header claims 1 tensors");
  add("tensor name past EOF", GgufBytes().set_counts(1, 0).u64(100).data(std::vector<uint8_t>(30, 0)),
      "the name of tensor #0 at offset 24 claims 100 bytes");
  auto header = [](const char* magic, uint32_t version) {
    std::vector<uint8_t> b(magic, magic + 4);
    b.resize(24, 0);
    std::memcpy(b.data() + 4, &version, 4);
    return b;
  };
  cases.push_back({"wrong magic", header("GGML", 3), "not a GGUF file: it starts with bytes 47 47 4d 4c"});
  cases.push_back({"version 1", header("GGUF", 1), "GGUF version 1 is not supported"});
  cases.push_back({"version 4", header("GGUF", 4), "GGUF version 4 is not supported (turbine reads versions 2 and 3)"});
  cases.push_back({"version 0", header("GGUF", 0), "GGUF version 0 is not supported"});
  cases.push_back({"big-endian", header("GGUF", 0x03000000), "big-endian GGUF files are not supported"});
  cases.push_back({"empty", {}, "not a GGUF file: it is only 0 bytes long"});
  cases.push_back({"3 bytes", {'G', 'G', 'U'}, "only 3 bytes long"});
  cases.push_back({"header cut", header("GGUF", 3), "truncated file: the tensor count at offset 8"});
  cases.back().bytes.resize(12);
  return cases;
}

TEST(GgufEvilFiles, EachFailsWithThePathAndTheFault) {
  TempDir dir;
  for (const EvilCase& c : evil_cases()) {
    const std::string path = dir.path("evil.gguf");
    write_file_bytes(path, c.bytes);
    auto f = GgufFile::open(path);
    ASSERT_FALSE(f.is_ok()) << c.name << " opened";
    const std::string& m = f.status().message();
    EXPECT_EQ(m.rfind(path + ": ", 0), 0u) << c.name << ": " << m;
    EXPECT_NE(m.find(c.expected), std::string::npos) << c.name << ": " << m;
  }
}

TEST(GgufEvilFiles, MissingFileAndDirectoryNameThePath) {
  TempDir dir;
  for (const std::string& path : {dir.path("absent.gguf"), dir.path("")}) {
    auto f = GgufFile::open(path);
    ASSERT_FALSE(f.is_ok());
    EXPECT_EQ(f.status().message().rfind(path + ": ", 0), 0u) << f.status().message();
  }
}

}  // namespace
}  // namespace turbine
