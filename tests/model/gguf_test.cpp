#include "model/gguf.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <cstring>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "base/half.h"
#include "model/quantize.h"
#include "gguf_test_util.h"

namespace turbine {
namespace {

using test::GgufBytes;
using test::read_file_bytes;
using test::TempDir;
using test::write_file_bytes;

std::vector<float> ramp(int64_t n, float scale) {
  std::vector<float> v(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) v[size_t(i)] = scale * std::sin(0.37f * float(i)) + 0.001f * float(i % 17);
  return v;
}

// ---- write, then read --------------------------------------------------------------------------------

TEST(GgufRoundTrip, EveryMetadataTypeSurvives) {
  TempDir dir;
  const std::string path = dir.path("meta.gguf");
  GgufWriter w;
  w.set_string("s", "hello \xce\xbb");
  w.set_uint8("u8", 250);
  w.set_int8("i8", -120);
  w.set_uint16("u16", 65000);
  w.set_int16("i16", -32000);
  w.set_uint32("u32", 4000000000u);
  w.set_int32("i32", -2000000000);
  w.set_uint64("u64", 18000000000000000000ull);
  w.set_int64("i64", -9000000000000000000ll);
  w.set_float32("f32", 0.1f);
  w.set_float64("f64", 0.1);
  w.set_bool("yes", true);
  w.set_bool("no", false);
  w.set_string_array("tokens", {"<s>", "", "a b", std::string("nul\0byte", 8)});
  w.set_float32_array("scores", {0.5f, -1.25f});
  w.set_int32_array("types", {1, -2, 3});
  w.set_string_array("empty", {});
  w.set_uint32("u32", 7);  // setting a key again replaces it
  ASSERT_TRUE(w.write(path).is_ok());

  auto f = GgufFile::open(path);
  ASSERT_TRUE(f.is_ok()) << f.status().message();
  const GgufFile& g = **f;
  EXPECT_EQ(g.version(), 3u);
  EXPECT_EQ(g.metadata().size(), 17u);
  EXPECT_EQ(*g.get_string("s").value(), "hello \xce\xbb");
  EXPECT_EQ(*g.get_int("u8").value(), 250);
  EXPECT_EQ(*g.get_int("i8").value(), -120);
  EXPECT_EQ(*g.get_int("u16").value(), 65000);
  EXPECT_EQ(*g.get_int("i16").value(), -32000);
  EXPECT_EQ(*g.get_int("u32").value(), 7);
  EXPECT_EQ(*g.get_int("i32").value(), -2000000000);
  EXPECT_EQ(std::get<uint64_t>(g.find("u64")->scalar), 18000000000000000000ull);
  EXPECT_EQ(*g.get_int("i64").value(), -9000000000000000000ll);
  EXPECT_EQ(*g.get_float("f32").value(), double(0.1f));
  EXPECT_EQ(*g.get_float("f64").value(), 0.1);
  EXPECT_EQ(*g.get_float("u16").value(), 65000.0);  // integers read as floats too
  EXPECT_TRUE(*g.get_bool("yes").value());
  EXPECT_FALSE(*g.get_bool("no").value());
  EXPECT_EQ(g.find("u8")->type, GgufValueType::kUint8);
  EXPECT_EQ(g.find("f64")->type, GgufValueType::kFloat64);

  const GgufValue* tokens = g.find("tokens");
  ASSERT_NE(tokens, nullptr);
  EXPECT_EQ(tokens->type, GgufValueType::kArray);
  EXPECT_EQ(tokens->array_type, GgufValueType::kString);
  ASSERT_EQ(tokens->strings.size(), 4u);
  EXPECT_EQ(tokens->strings[0], "<s>");
  EXPECT_EQ(tokens->strings[1], "");
  EXPECT_EQ(tokens->strings[3], std::string_view("nul\0byte", 8));
  EXPECT_EQ(g.find("scores")->numbers, (std::vector<double>{0.5, -1.25}));
  EXPECT_EQ(g.find("types")->array_type, GgufValueType::kInt32);
  EXPECT_EQ(g.find("types")->numbers, (std::vector<double>{1, -2, 3}));
  EXPECT_TRUE(g.find("empty")->strings.empty());
  EXPECT_EQ(g.find("missing"), nullptr);
  EXPECT_FALSE(g.get_int("missing").value().has_value());
}

TEST(GgufRoundTrip, SetValueCopiesEveryArrayElementType) {
  TempDir dir;
  GgufWriter w;
  const std::vector<double> values = {0, 1, 100, 7};
  for (uint32_t t = 0; t <= uint32_t(GgufValueType::kFloat64); ++t) {
    if (t == uint32_t(GgufValueType::kString) || t == uint32_t(GgufValueType::kArray)) continue;
    GgufValue v;
    v.type = GgufValueType::kArray;
    v.array_type = GgufValueType(t);
    v.numbers = t == uint32_t(GgufValueType::kBool) ? std::vector<double>{1, 0, 1} : values;
    w.set_value("arr." + std::to_string(t), v);
  }
  ASSERT_TRUE(w.write(dir.path("a.gguf")).is_ok());
  auto f = GgufFile::open(dir.path("a.gguf"));
  ASSERT_TRUE(f.is_ok()) << f.status().message();

  // And copy the whole metadata into a second file: byte-identical metadata comes back.
  GgufWriter copy;
  for (const auto& [key, value] : (*f)->metadata()) copy.set_value(key, value);
  ASSERT_TRUE(copy.write(dir.path("b.gguf")).is_ok());
  auto g = GgufFile::open(dir.path("b.gguf"));
  ASSERT_TRUE(g.is_ok()) << g.status().message();
  for (const auto& [key, value] : (*f)->metadata()) {
    const GgufValue* other = (*g)->find(key);
    ASSERT_NE(other, nullptr) << key;
    EXPECT_EQ(other->array_type, value.array_type) << key;
    EXPECT_EQ(other->numbers, value.numbers) << key;
  }
}

TEST(GgufRoundTrip, TensorsOfEveryDTypeKeepShapeBytesAndAlignment) {
  TempDir dir;
  const std::string path = dir.path("tensors.gguf");
  const DType dtypes[] = {DType::kF32, DType::kF16, DType::kBF16, DType::kQ8_0,
                          DType::kQ4_0, DType::kQ4_K, DType::kQ6_K};
  GgufWriter w;
  w.set_string("general.architecture", "llama");
  std::vector<std::vector<uint8_t>> encoded;
  for (DType t : dtypes) {
    const int64_t cols = dtype_traits(t).block_elems == 256 ? 512 : 96, rows = 3;
    const auto x = ramp(rows * cols, 0.5f);
    auto q = quantize_tensor(t, x.data(), rows, cols);
    ASSERT_TRUE(q.is_ok()) << q.status().message();
    encoded.push_back(*q);
    w.add_tensor("t." + std::string(dtype_name(t)), t, {cols, rows}, *q);
  }
  w.add_tensor("vector", DType::kF32, {5}, std::vector<uint8_t>(20, 0x11));  // 20 bytes: padding follows
  w.add_tensor("after_padding", DType::kF16, {1, 1, 2, 3}, std::vector<uint8_t>(12, 0x22));
  ASSERT_TRUE(w.write(path).is_ok());

  auto f = GgufFile::open(path);
  ASSERT_TRUE(f.is_ok()) << f.status().message();
  const GgufFile& g = **f;
  ASSERT_EQ(g.tensors().size(), std::size(dtypes) + 2);
  const uint8_t* base = g.mapping()->data();
  uint64_t expected_offset = 0;
  for (size_t i = 0; i < std::size(dtypes); ++i) {
    const GgufTensorInfo* t = g.find_tensor("t." + std::string(dtype_name(dtypes[i])));
    ASSERT_NE(t, nullptr);
    EXPECT_EQ(t->ggml_type, uint32_t(dtypes[i]));
    EXPECT_EQ(t->dims[1], 3);
    EXPECT_EQ(t->num_bytes, encoded[i].size());
    EXPECT_EQ(t->offset, expected_offset);  // contiguous, each padded to 32, as llama.cpp expects
    expected_offset += (t->num_bytes + 31) / 32 * 32;
    ASSERT_NE(t->data, nullptr);
    EXPECT_EQ((t->data - base) % 32, 0);
    EXPECT_EQ(0, std::memcmp(t->data, encoded[i].data(), encoded[i].size()));
  }
  const GgufTensorInfo* v = g.find_tensor("after_padding");
  ASSERT_NE(v, nullptr);
  EXPECT_EQ(v->dims, (std::vector<int64_t>{1, 1, 2, 3}));
  EXPECT_EQ(v->num_elements(), 6);
  EXPECT_EQ(v->offset % 32, 0u);
  EXPECT_EQ(v->data[11], 0x22);
  EXPECT_EQ(g.find_tensor("nope"), nullptr);
  EXPECT_EQ(uint64_t(g.mapping()->size()), uint64_t(v->data - base) + 32);  // last tensor padded too
}

TEST(GgufRoundTrip, HonoursGeneralAlignment) {
  TempDir dir;
  GgufWriter w;
  w.set_uint32("general.alignment", 64);
  w.add_tensor("a", DType::kF32, {3}, std::vector<uint8_t>(12, 1));
  w.add_tensor("b", DType::kF32, {3}, std::vector<uint8_t>(12, 2));
  ASSERT_TRUE(w.write(dir.path("a.gguf")).is_ok());
  auto f = GgufFile::open(dir.path("a.gguf"));
  ASSERT_TRUE(f.is_ok()) << f.status().message();
  EXPECT_EQ((*f)->find_tensor("b")->offset, 64u);
  EXPECT_EQ(((*f)->find_tensor("a")->data - (*f)->mapping()->data()) % 64, 0);
}

TEST(GgufWriter, RefusesInconsistentTensors) {
  TempDir dir;
  const std::string path = dir.path("bad.gguf");
  auto expect_error = [&](GgufWriter& w, const std::string& needle) {
    const Status s = w.write(path);
    ASSERT_FALSE(s.is_ok()) << needle;
    EXPECT_EQ(s.message().rfind(path, 0), 0u) << s.message();
    EXPECT_NE(s.message().find(needle), std::string::npos) << s.message();
    EXPECT_NE(access(path.c_str(), F_OK), 0) << "nothing is written on error";
  };
  GgufWriter size;
  size.add_tensor("w", DType::kF32, {4}, std::vector<uint8_t>(15));
  expect_error(size, "tensor 'w' holds 15 bytes");
  GgufWriter blocks;
  blocks.add_tensor("q", DType::kQ4_K, {128, 2}, std::vector<uint8_t>(144));
  expect_error(blocks, "not a multiple of the q4_K block size 256");
  GgufWriter twice;
  twice.add_tensor("x", DType::kF32, {1}, std::vector<uint8_t>(4));
  twice.add_tensor("x", DType::kF32, {1}, std::vector<uint8_t>(4));
  expect_error(twice, "tensor 'x' was added twice");
  GgufWriter name;
  name.add_tensor(std::string(64, 'n'), DType::kF32, {1}, std::vector<uint8_t>(4));
  expect_error(name, "llama.cpp reads at most 63");
  GgufWriter align;
  align.set_uint32("general.alignment", 48);
  expect_error(align, "not a power of two");
}

// ---- what open accepts beyond our own writer ----------------------------------------------------

TEST(GgufOpen, ReadsVersion2) {
  TempDir dir;
  GgufBytes b(2);
  b.kv_u32("general.alignment", 32);
  b.tensor("w", {32}, 0, 0);
  b.finish_infos();
  b.data(std::vector<uint8_t>(128, 0));
  const std::string path = dir.path("v2.gguf");
  write_file_bytes(path, b.bytes());
  auto f = GgufFile::open(path);
  ASSERT_TRUE(f.is_ok()) << f.status().message();
  EXPECT_EQ((*f)->version(), 2u);
  EXPECT_EQ((*f)->tensors()[0].num_bytes, 128u);
}

TEST(GgufOpen, UnsupportedTensorTypesOpenWithoutData) {
  TempDir dir;
  GgufBytes b(3);
  b.tensor("q5", {256, 2}, 13, 0);    // q5_K: 176 bytes per block
  b.tensor("future", {7}, 99, 384);   // a type id GGML does not (yet) define
  b.tensor("f32", {4}, 0, 416);
  b.finish_infos();
  b.data(std::vector<uint8_t>(448, 0));
  const std::string path = dir.path("q5.gguf");
  write_file_bytes(path, b.bytes());
  auto f = GgufFile::open(path);
  ASSERT_TRUE(f.is_ok()) << f.status().message();
  const GgufTensorInfo* q5 = (*f)->find_tensor("q5");
  EXPECT_EQ(q5->ggml_type, 13u);
  EXPECT_EQ(q5->data, nullptr);
  EXPECT_EQ(q5->num_bytes, 352u);
  EXPECT_EQ(ggml_type_name(q5->ggml_type), "q5_K");
  EXPECT_EQ((*f)->find_tensor("future")->data, nullptr);
  EXPECT_NE((*f)->find_tensor("f32")->data, nullptr);
}

TEST(GgufOpen, SkipsArraysOfArrays) {
  TempDir dir;
  GgufBytes b(3);
  b.kv_raw("nested", GgufValueType::kArray);
  b.u32(uint32_t(GgufValueType::kArray)).u64(2);
  b.u32(uint32_t(GgufValueType::kInt32)).u64(2).u32(1).u32(2);
  b.u32(uint32_t(GgufValueType::kString)).u64(1).str("x");
  b.kv_u32("after", 5);
  b.finish_infos();
  const std::string path = dir.path("nested.gguf");
  write_file_bytes(path, b.bytes());
  auto f = GgufFile::open(path);
  ASSERT_TRUE(f.is_ok()) << f.status().message();
  EXPECT_EQ((*f)->find("nested")->array_type, GgufValueType::kArray);
  EXPECT_EQ(*(*f)->get_int("after").value(), 5);
}

TEST(GgufOpen, TypedLookupsNameTheKeyAndTheTypes) {
  TempDir dir;
  GgufWriter w;
  w.set_string("name", "x");
  w.set_int32_array("ids", {1});
  w.set_uint64("huge", ~uint64_t(0));
  const std::string path = dir.path("typed.gguf");
  ASSERT_TRUE(w.write(path).is_ok());
  auto f = GgufFile::open(path);
  ASSERT_TRUE(f.is_ok());
  auto as_int = (*f)->get_int("name");
  ASSERT_FALSE(as_int.is_ok());
  EXPECT_EQ(as_int.status().message(), path + ": metadata key 'name' has type string, expected an integer");
  auto as_string = (*f)->get_string("ids");
  ASSERT_FALSE(as_string.is_ok());
  EXPECT_EQ(as_string.status().message(), path + ": metadata key 'ids' has type array of int32, expected a string");
  EXPECT_FALSE((*f)->get_bool("name").is_ok());
  EXPECT_FALSE((*f)->get_float("name").is_ok());
  EXPECT_FALSE((*f)->get_int("huge").is_ok());
}

}  // namespace
}  // namespace turbine
