#include "model/safetensors.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "base/half.h"

namespace turbine {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;

class SafetensorsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("turbine_safetensors_" + std::to_string(getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string path(const std::string& name) const { return (dir_ / name).string(); }

  static std::vector<uint8_t> f32_bytes(const std::vector<float>& v) {
    std::vector<uint8_t> b(v.size() * 4);
    std::memcpy(b.data(), v.data(), b.size());
    return b;
  }
  static std::vector<uint8_t> u16_bytes(const std::vector<uint16_t>& v) {
    std::vector<uint8_t> b(v.size() * 2);
    std::memcpy(b.data(), v.data(), b.size());
    return b;
  }

  // A valid file of three tensors; returns its bytes.
  std::vector<uint8_t> write_valid(const std::string& p) {
    SafetensorsWriter w;
    EXPECT_TRUE(w.add_tensor("h", DType::kF16, {3}, u16_bytes({f32_to_f16(1.5f), f32_to_f16(-2.0f), 0})).is_ok());
    EXPECT_TRUE(w.add_tensor("a", DType::kF32, {2, 3}, f32_bytes({1, 2, 3, 4, 5, 6})).is_ok());
    EXPECT_TRUE(w.add_tensor("b", DType::kBF16, {2}, u16_bytes({f32_to_bf16(0.25f), f32_to_bf16(8.0f)})).is_ok());
    w.set_metadata("format", "pt");
    EXPECT_TRUE(w.write(p).is_ok());
    return read_bytes(p);
  }

  static std::vector<uint8_t> read_bytes(const std::string& p) {
    std::ifstream in(p, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  }
  static void write_bytes(const std::string& p, const std::vector<uint8_t>& b) {
    std::ofstream out(p, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(b.data()), std::streamsize(b.size()));
  }
  // A file from a header text and `data_bytes` zero bytes of data.
  void write_raw(const std::string& p, const std::string& header, size_t data_bytes) {
    std::vector<uint8_t> b(8);
    const uint64_t n = header.size();
    for (int i = 0; i < 8; ++i) b[size_t(i)] = uint8_t(n >> (8 * i));
    b.insert(b.end(), header.begin(), header.end());
    b.resize(b.size() + data_bytes);
    write_bytes(p, b);
  }
  // Opening must fail with an error that names the file and contains `what`.
  void expect_error(const std::string& p, const std::string& what) {
    auto r = SafetensorsFile::open(p);
    ASSERT_FALSE(r.is_ok()) << "opened " << p;
    EXPECT_NE(r.status().message().find(p), std::string::npos) << r.status().message();
    EXPECT_NE(r.status().message().find(what), std::string::npos) << r.status().message();
  }

  fs::path dir_;
};

TEST_F(SafetensorsTest, RoundTrip) {
  const std::string p = path("model.safetensors");
  write_valid(p);
  auto r = SafetensorsFile::open(p);
  ASSERT_TRUE(r.is_ok()) << r.status().message();
  const auto& f = **r;
  ASSERT_EQ(f.tensors().size(), 3u);
  EXPECT_EQ(f.metadata().at("format"), "pt");

  const SafetensorsTensor* a = f.find("a");
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(a->dtype_name, "F32");
  EXPECT_EQ(a->dtype, DType::kF32);
  EXPECT_EQ(a->shape, (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(a->num_bytes, 24u);
  EXPECT_EQ(a->num_elements(), 6);
  float v[6];
  std::memcpy(v, a->data, 24);
  EXPECT_EQ(v[0], 1.0f);
  EXPECT_EQ(v[5], 6.0f);

  const SafetensorsTensor* h = f.find("h");
  ASSERT_NE(h, nullptr);
  EXPECT_EQ(h->dtype, DType::kF16);
  uint16_t hv[3];
  std::memcpy(hv, h->data, 6);
  EXPECT_EQ(f16_to_f32(hv[0]), 1.5f);
  EXPECT_EQ(f16_to_f32(hv[1]), -2.0f);

  const SafetensorsTensor* b = f.find("b");
  ASSERT_NE(b, nullptr);
  EXPECT_EQ(b->dtype, DType::kBF16);
  uint16_t bv[2];
  std::memcpy(bv, b->data, 4);
  EXPECT_EQ(bf16_to_f32(bv[1]), 8.0f);
  EXPECT_EQ(f.find("nope"), nullptr);

  // The writer pads the header to 8 bytes and puts wider types first: every tensor is aligned.
  for (const auto& t : f.tensors())
    EXPECT_EQ(reinterpret_cast<uintptr_t>(t.data) % uintptr_t(*safetensors_dtype_size(t.dtype_name)), 0u) << t.name;
  EXPECT_EQ((reinterpret_cast<uintptr_t>(a->data) - reinterpret_cast<uintptr_t>(f.mapping()->data())) % 8, 0u);
}

TEST_F(SafetensorsTest, WriterRejectsBadInput) {
  SafetensorsWriter w;
  EXPECT_FALSE(w.add_tensor("a", DType::kF32, {2, 2}, std::vector<uint8_t>(12)).is_ok());  // 16 needed
  EXPECT_EQ(w.add_tensor("q", DType::kQ8_0, {32}, std::vector<uint8_t>(34)).code(), ErrorCode::kUnsupported);
  EXPECT_TRUE(w.add_tensor("a", DType::kF32, {1}, std::vector<uint8_t>(4)).is_ok());
  EXPECT_FALSE(w.add_tensor("a", DType::kF32, {1}, std::vector<uint8_t>(4)).is_ok());  // duplicate
}

TEST_F(SafetensorsTest, OtherDtypesAreKeptWithoutATurbineType) {
  const std::string p = path("ints.safetensors");
  write_raw(p, R"({"ids":{"dtype":"I64","shape":[2],"data_offsets":[0,16]},"e":{"dtype":"F32","shape":[0],"data_offsets":[16,16]}})", 16);
  auto r = SafetensorsFile::open(p);
  ASSERT_TRUE(r.is_ok()) << r.status().message();
  const SafetensorsTensor* ids = (*r)->find("ids");
  ASSERT_NE(ids, nullptr);
  EXPECT_EQ(ids->dtype_name, "I64");
  EXPECT_FALSE(ids->dtype.has_value());
  EXPECT_EQ((*r)->find("e")->num_bytes, 0u);
}

TEST_F(SafetensorsTest, EveryTruncationIsAnError) {
  const std::string good = path("good.safetensors");
  const std::vector<uint8_t> bytes = write_valid(good);
  const std::string p = path("cut.safetensors");
  for (size_t n = 0; n < bytes.size(); ++n) {
    write_bytes(p, std::vector<uint8_t>(bytes.begin(), bytes.begin() + long(n)));
    auto r = SafetensorsFile::open(p);
    ASSERT_FALSE(r.is_ok()) << "truncated to " << n << " bytes";
    EXPECT_NE(r.status().message().find(p), std::string::npos) << r.status().message();
  }
}

TEST_F(SafetensorsTest, CorruptedHeaderBytesNeverCrash) {
  const std::vector<uint8_t> bytes = write_valid(path("good.safetensors"));
  const uint64_t header = bytes[0] | uint64_t(bytes[1]) << 8;
  const std::string p = path("flipped.safetensors");
  const uint8_t replacements[] = {'}', '"', '9', '-', ' ', 0, 0xff, '['};
  for (size_t i = 8; i < 8 + header; ++i) {
    for (uint8_t c : replacements) {
      std::vector<uint8_t> b = bytes;
      b[i] = c;
      write_bytes(p, b);
      auto r = SafetensorsFile::open(p);
      if (!r.is_ok()) {
        EXPECT_NE(r.status().message().find(p), std::string::npos) << r.status().message();
      }
    }
  }
}

TEST_F(SafetensorsTest, MalformedFiles) {
  const std::string p = path("bad.safetensors");
  write_bytes(p, {});
  expect_error(p, "too short");
  write_bytes(p, {1, 0, 0});
  expect_error(p, "too short");

  std::vector<uint8_t> huge(16, 0);
  huge[7] = 0x10;  // 2^60
  write_bytes(p, huge);
  expect_error(p, "exceeds the limit");
  std::vector<uint8_t> past = {100, 0, 0, 0, 0, 0, 0, 0, '{', '}'};
  write_bytes(p, past);
  expect_error(p, "past the end of the file");

  write_raw(p, R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]})", 8);  // unbalanced
  expect_error(p, "not valid JSON");
  write_raw(p, R"([1, 2])", 0);
  expect_error(p, "not a JSON object");
  write_raw(p, R"({"a":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}})", 8);
  expect_error(p, "past the end of the data");
  write_raw(p, R"({"a":{"dtype":"F33","shape":[2],"data_offsets":[0,8]}})", 8);
  expect_error(p, "unknown dtype \"F33\"");
  write_raw(p, R"({"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}})", 8);
  expect_error(p, "shape [3] of F32 needs 12 bytes, data_offsets span 8");
  write_raw(p, R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[8,0]}})", 8);
  expect_error(p, "reversed");
  write_raw(p, R"({"a":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}})", 8);
  expect_error(p, "non-negative");
  write_raw(p, R"({"a":{"dtype":"F32","shape":[2.5],"data_offsets":[0,8]}})", 8);
  expect_error(p, "non-negative");
  write_raw(p, R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0]}})", 8);
  expect_error(p, "data_offsets");
  write_raw(p, R"({"a":{"shape":[2],"data_offsets":[0,8]}})", 8);
  expect_error(p, "dtype");
  write_raw(p, R"({"a":[1]})", 8);
  expect_error(p, "not an object");
  write_raw(p, R"({"a":{"dtype":"F32","shape":[4294967296,4294967296,4294967296],"data_offsets":[0,8]}})", 8);
  expect_error(p, "overflows");
  write_raw(p, R"({"__metadata__":{"format":1}})", 0);
  expect_error(p, "__metadata__");
}

TEST_F(SafetensorsTest, ShardedIndex) {
  {
    SafetensorsWriter w1, w2;
    ASSERT_TRUE(w1.add_tensor("x", DType::kF32, {1}, f32_bytes({3})).is_ok());
    ASSERT_TRUE(w2.add_tensor("y", DType::kF32, {2}, f32_bytes({4, 5})).is_ok());
    ASSERT_TRUE(w1.write(path("model-00001-of-00002.safetensors")).is_ok());
    ASSERT_TRUE(w2.write(path("model-00002-of-00002.safetensors")).is_ok());
  }
  auto write_index = [&](const json& weight_map) {
    std::ofstream(path("model.safetensors.index.json")) << json{{"metadata", json::object()}, {"weight_map", weight_map}}.dump();
  };
  write_index({{"x", "model-00001-of-00002.safetensors"}, {"y", "model-00002-of-00002.safetensors"}});
  auto r = SafetensorsShards::open_dir(dir_.string());
  ASSERT_TRUE(r.is_ok()) << r.status().message();
  const auto& shards = **r;
  EXPECT_EQ(shards.files().size(), 2u);
  EXPECT_EQ(shards.source_path(), path("model.safetensors.index.json"));
  const auto y = shards.find("y");
  ASSERT_NE(y.tensor, nullptr);
  EXPECT_EQ(y.file->path(), path("model-00002-of-00002.safetensors"));
  EXPECT_EQ(y.tensor->shape, std::vector<int64_t>{2});
  EXPECT_EQ(shards.find("z").tensor, nullptr);
  EXPECT_EQ(shards.tensor_names(), (std::vector<std::string>{"x", "y"}));

  const std::string index = path("model.safetensors.index.json");
  write_index({{"x", "model-00002-of-00002.safetensors"}});
  r = SafetensorsShards::open_dir(dir_.string());
  ASSERT_FALSE(r.is_ok());
  EXPECT_EQ(r.status().message(), index + ": tensor x is mapped to model-00002-of-00002.safetensors, which does not contain it");
  write_index({{"x", "../model-00001-of-00002.safetensors"}});
  r = SafetensorsShards::open_dir(dir_.string());
  ASSERT_FALSE(r.is_ok());
  EXPECT_NE(r.status().message().find("inside the checkpoint directory"), std::string::npos);
  write_index({{"x", "missing.safetensors"}});
  r = SafetensorsShards::open_dir(dir_.string());
  ASSERT_FALSE(r.is_ok());
  EXPECT_NE(r.status().message().find(path("missing.safetensors")), std::string::npos) << r.status().message();
  std::ofstream(index) << "{\"weight_map\": 3}";
  r = SafetensorsShards::open_dir(dir_.string());
  ASSERT_FALSE(r.is_ok());
  EXPECT_NE(r.status().message().find(index), std::string::npos);

  fs::remove(index);
  r = SafetensorsShards::open_dir(dir_.string());
  ASSERT_FALSE(r.is_ok());
  EXPECT_EQ(r.status().code(), ErrorCode::kNotFound);
}

}  // namespace
}  // namespace turbine
