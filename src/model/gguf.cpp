#include "model/gguf.h"

#include <algorithm>
#include <bit>
#include <cstdio>
#include <cstring>
#include <iterator>
#include <limits>
#include <new>
#include <optional>
#include <string>
#include <type_traits>

// GGUF layout (all little-endian; strings are a u64 byte count then the bytes, no NUL):
//   magic "GGUF" | u32 version | u64 n_tensors | u64 n_kv
//   n_kv x      { string key | u32 value type | value }   (array: u32 elem type | u64 count | elems)
//   n_tensors x { string name | u32 n_dims | u64 dims[n_dims] | u32 ggml type | u64 offset }
//   padding to `alignment` | data section (tensor offsets are relative to its start)
// Every read goes through Parser, which checks the remaining size first; counts are checked
// against the bytes that could hold them before anything is allocated.

namespace turbine {
namespace {

static_assert(std::endian::native == std::endian::little, "GGUF fields are read and written by memcpy");

constexpr uint32_t kMaxDims = 4;                       // GGML_MAX_DIMS
constexpr uint64_t kMaxArrayElements = uint64_t(1) << 26;  // far above any vocabulary (~256k)
constexpr int kMaxArrayDepth = 3;                      // nested arrays are skipped to this depth
constexpr uint64_t kDefaultAlignment = 32;
constexpr uint64_t kMaxNameBytes = uint64_t(1) << 16;    // keys and tensor names
constexpr uint64_t kMaxValueBytes = uint64_t(1) << 28;   // one string value (chat templates ~100 KiB)
constexpr uint64_t kMaxReserve = uint64_t(1) << 16;      // elements reserved ahead of parsing them

// Block size of every type id GGML defines (ggml.c type_traits), so tensors of types turbine
// cannot compute with are still bounds-checked. nullopt for removed or unknown ids.
struct GgmlBlock {
  int64_t elems;
  int64_t bytes;
};
std::optional<GgmlBlock> ggml_block(uint32_t type) {
  switch (type) {
    case 0: return GgmlBlock{1, 4};       // f32
    case 1: return GgmlBlock{1, 2};       // f16
    case 2: return GgmlBlock{32, 18};     // q4_0
    case 3: return GgmlBlock{32, 20};     // q4_1
    case 6: return GgmlBlock{32, 22};     // q5_0
    case 7: return GgmlBlock{32, 24};     // q5_1
    case 8: return GgmlBlock{32, 34};     // q8_0
    case 9: return GgmlBlock{32, 36};     // q8_1
    case 10: return GgmlBlock{256, 84};   // q2_K
    case 11: return GgmlBlock{256, 110};  // q3_K
    case 12: return GgmlBlock{256, 144};  // q4_K
    case 13: return GgmlBlock{256, 176};  // q5_K
    case 14: return GgmlBlock{256, 210};  // q6_K
    case 15: return GgmlBlock{256, 292};  // q8_K
    case 16: return GgmlBlock{256, 66};   // iq2_xxs
    case 17: return GgmlBlock{256, 74};   // iq2_xs
    case 18: return GgmlBlock{256, 98};   // iq3_xxs
    case 19: return GgmlBlock{256, 50};   // iq1_s
    case 20: return GgmlBlock{32, 18};    // iq4_nl
    case 21: return GgmlBlock{256, 110};  // iq3_s
    case 22: return GgmlBlock{256, 82};   // iq2_s
    case 23: return GgmlBlock{256, 136};  // iq4_xs
    case 24: return GgmlBlock{1, 1};      // i8
    case 25: return GgmlBlock{1, 2};      // i16
    case 26: return GgmlBlock{1, 4};      // i32
    case 27: return GgmlBlock{1, 8};      // i64
    case 28: return GgmlBlock{1, 8};      // f64
    case 29: return GgmlBlock{256, 56};   // iq1_m
    case 30: return GgmlBlock{1, 2};      // bf16
    case 34: return GgmlBlock{256, 54};   // tq1_0
    case 35: return GgmlBlock{256, 66};   // tq2_0
    case 39: return GgmlBlock{32, 17};    // mxfp4
    default: return std::nullopt;
  }
}

const char* value_type_name(GgufValueType t) {
  static constexpr const char* kNames[] = {"uint8", "int8",  "uint16", "int16",  "uint32", "int32", "float32",
                                           "bool",  "string", "array", "uint64", "int64",  "float64"};
  const auto i = uint32_t(t);
  return i < std::size(kNames) ? kNames[i] : "unknown";
}

// Bytes a value of fixed-size type t occupies; 0 for string and array.
uint64_t fixed_size(GgufValueType t) {
  switch (t) {
    case GgufValueType::kUint8: case GgufValueType::kInt8: case GgufValueType::kBool: return 1;
    case GgufValueType::kUint16: case GgufValueType::kInt16: return 2;
    case GgufValueType::kUint32: case GgufValueType::kInt32: case GgufValueType::kFloat32: return 4;
    case GgufValueType::kUint64: case GgufValueType::kInt64: case GgufValueType::kFloat64: return 8;
    default: return 0;
  }
}

// Bounds-checked little-endian reads over the mapping. Errors start with the file path.
class Parser {
 public:
  Parser(const std::string& path, const uint8_t* data, size_t size) : path_(path), data_(data), size_(size) {}

  size_t pos() const { return pos_; }
  size_t size() const { return size_; }
  uint64_t remaining() const { return size_ - pos_; }
  const std::string& path() const { return path_; }

  Status error(const std::string& what) const { return invalid_argument(path_ + ": " + what); }
  Status truncated(std::string_view what, uint64_t need) const {
    return error("truncated file: " + std::string(what) + " at offset " + std::to_string(pos_) + " needs " +
                 std::to_string(need) + " bytes, but the file ends at offset " + std::to_string(size_));
  }

  template <typename T>
  Status read(T* v, std::string_view what) {
    if (remaining() < sizeof(T)) return truncated(what, sizeof(T));
    std::memcpy(v, data_ + pos_, sizeof(T));  // little-endian host, as GGUF (static_assert above)
    pos_ += sizeof(T);
    return Status::ok();
  }

  // A view into the mapping; `max_bytes` bounds what a corrupt length may make a caller copy.
  Status read_string(std::string_view* s, std::string_view what, uint64_t max_bytes = kMaxValueBytes) {
    const size_t at = pos_;
    uint64_t n = 0;
    TB_RETURN_IF_ERROR(read(&n, what));
    if (n > max_bytes && n <= remaining()) {
      return error(std::string(what) + " at offset " + std::to_string(at) + " is " + std::to_string(n) +
                   " bytes long; turbine reads at most " + std::to_string(max_bytes));
    }
    if (n > remaining()) {
      return error("truncated file: " + std::string(what) + " at offset " + std::to_string(at) + " claims " +
                   std::to_string(n) + " bytes, but only " + std::to_string(remaining()) + " remain");
    }
    *s = std::string_view(reinterpret_cast<const char*>(data_ + pos_), size_t(n));
    pos_ += size_t(n);
    return Status::ok();
  }

 private:
  const std::string& path_;
  const uint8_t* data_;
  size_t size_;
  size_t pos_ = 0;
};

Status read_value(Parser& p, GgufValueType type, const std::string& what, int depth, GgufValue* out);

// A scalar of fixed-size type `type`, widened as GgufValue documents.
Status read_scalar(Parser& p, GgufValueType type, const std::string& what, GgufValue* out) {
  auto widen = [&](auto v) -> Status {
    TB_RETURN_IF_ERROR(p.read(&v, what));
    using T = decltype(v);
    if constexpr (std::is_same_v<T, float> || std::is_same_v<T, double>) {
      out->scalar = double(v);
    } else if constexpr (std::is_signed_v<T>) {
      out->scalar = int64_t(v);
    } else {
      out->scalar = uint64_t(v);
    }
    return Status::ok();
  };
  switch (type) {
    case GgufValueType::kUint8: return widen(uint8_t{});
    case GgufValueType::kInt8: return widen(int8_t{});
    case GgufValueType::kUint16: return widen(uint16_t{});
    case GgufValueType::kInt16: return widen(int16_t{});
    case GgufValueType::kUint32: return widen(uint32_t{});
    case GgufValueType::kInt32: return widen(int32_t{});
    case GgufValueType::kUint64: return widen(uint64_t{});
    case GgufValueType::kInt64: return widen(int64_t{});
    case GgufValueType::kFloat32: return widen(float{});
    case GgufValueType::kFloat64: return widen(double{});
    case GgufValueType::kBool: {
      uint8_t b = 0;
      TB_RETURN_IF_ERROR(p.read(&b, what));
      out->scalar = b != 0;
      return Status::ok();
    }
    default: TB_CHECK(false, "read_scalar on a non-scalar type");
  }
}

Status read_array(Parser& p, const std::string& what, int depth, GgufValue* out) {
  const size_t at = p.pos();
  uint32_t elem_type_id = 0;
  uint64_t count = 0;
  TB_RETURN_IF_ERROR(p.read(&elem_type_id, what));
  TB_RETURN_IF_ERROR(p.read(&count, what));
  if (elem_type_id > uint32_t(GgufValueType::kFloat64)) {
    return p.error(what + ": array at offset " + std::to_string(at) + " has unknown element type " +
                   std::to_string(elem_type_id));
  }
  const auto elem_type = GgufValueType(elem_type_id);
  out->array_type = elem_type;
  // The least each element can occupy: its size, a string's length field, a nested array's header.
  const uint64_t min_elem = elem_type == GgufValueType::kString  ? 8
                            : elem_type == GgufValueType::kArray ? 12
                                                                 : fixed_size(elem_type);
  if (count > p.remaining() / min_elem) {
    return p.error(what + ": array at offset " + std::to_string(at) + " claims " + std::to_string(count) + " " +
                   value_type_name(elem_type) + " elements, more than the " + std::to_string(p.remaining()) +
                   " bytes left in the file can hold");
  }
  if (count > kMaxArrayElements) {
    return p.error(what + ": array at offset " + std::to_string(at) + " has " + std::to_string(count) +
                   " elements; turbine reads at most " + std::to_string(kMaxArrayElements));
  }
  if (elem_type == GgufValueType::kArray) {
    if (depth >= kMaxArrayDepth) {
      return p.error(what + ": arrays nested deeper than " + std::to_string(kMaxArrayDepth) + " levels");
    }
    GgufValue skipped;  // arrays of arrays carry nothing turbine uses: check bounds, keep nothing
    for (uint64_t i = 0; i < count; ++i) {
      TB_RETURN_IF_ERROR(read_value(p, GgufValueType::kArray, what, depth + 1, &skipped));
      skipped = GgufValue();
    }
    return Status::ok();
  }
  if (elem_type == GgufValueType::kString) {
    out->strings.reserve(size_t(std::min(count, kMaxReserve)));
    for (uint64_t i = 0; i < count; ++i) {
      std::string_view s;
      TB_RETURN_IF_ERROR(p.read_string(&s, what));
      out->strings.push_back(s);
    }
    return Status::ok();
  }
  out->numbers.reserve(size_t(std::min(count, kMaxReserve)));
  GgufValue elem;
  for (uint64_t i = 0; i < count; ++i) {
    TB_RETURN_IF_ERROR(read_scalar(p, elem_type, what, &elem));
    std::visit(
        [&](const auto& v) {
          if constexpr (std::is_arithmetic_v<std::decay_t<decltype(v)>>) out->numbers.push_back(double(v));
        },
        elem.scalar);
  }
  return Status::ok();
}

Status read_value(Parser& p, GgufValueType type, const std::string& what, int depth, GgufValue* out) {
  out->type = type;
  if (type == GgufValueType::kArray) return read_array(p, what, depth, out);
  if (type == GgufValueType::kString) {
    std::string_view s;
    TB_RETURN_IF_ERROR(p.read_string(&s, what));
    out->scalar = std::string(s);
    return Status::ok();
  }
  return read_scalar(p, type, what, out);
}

Status read_metadata(Parser& p, uint64_t num_kv, std::map<std::string, GgufValue>* metadata) {
  // Each entry takes at least a key length (8), a type (4) and a 1-byte value.
  if (num_kv > p.remaining() / 13) {
    return p.error("header claims " + std::to_string(num_kv) + " metadata entries, more than the " +
                   std::to_string(p.remaining()) + " bytes after the header can hold");
  }
  for (uint64_t i = 0; i < num_kv; ++i) {
    const std::string entry = "metadata entry #" + std::to_string(i);
    std::string_view key_view;
    TB_RETURN_IF_ERROR(p.read_string(&key_view, "the key of " + entry, kMaxNameBytes));
    std::string key(key_view);
    const std::string what = "metadata key '" + key + "'";
    uint32_t type_id = 0;
    TB_RETURN_IF_ERROR(p.read(&type_id, "the type of " + what));
    if (type_id > uint32_t(GgufValueType::kFloat64)) {
      return p.error(what + " has unknown value type " + std::to_string(type_id) + " (at offset " +
                     std::to_string(p.pos() - 4) + ")");
    }
    GgufValue value;
    TB_RETURN_IF_ERROR(read_value(p, GgufValueType(type_id), what, 0, &value));
    if (!metadata->emplace(std::move(key), std::move(value)).second) {
      return p.error(what + " appears more than once (again as " + entry + ")");
    }
  }
  return Status::ok();
}

Result<uint64_t> alignment_of(const Parser& p, const std::map<std::string, GgufValue>& metadata) {
  const auto it = metadata.find("general.alignment");
  if (it == metadata.end()) return kDefaultAlignment;
  const GgufValue& v = it->second;
  uint64_t a = 0;
  if (const auto* u = std::get_if<uint64_t>(&v.scalar); u && v.type != GgufValueType::kArray) {
    a = *u;
  } else if (const auto* s = std::get_if<int64_t>(&v.scalar); s && v.type != GgufValueType::kArray && *s > 0) {
    a = uint64_t(*s);
  } else {
    return p.error("metadata key 'general.alignment' must be a positive integer, not a " +
                   std::string(value_type_name(v.type)));
  }
  if (a == 0 || (a & (a - 1)) != 0 || a > (uint64_t(1) << 30)) {
    return p.error("metadata key 'general.alignment' is " + std::to_string(a) +
                   "; it must be a power of two no larger than 2^30");
  }
  return a;
}

Status read_tensor_info(Parser& p, uint64_t index, GgufTensorInfo* t) {
  std::string_view name;
  TB_RETURN_IF_ERROR(p.read_string(&name, "the name of tensor #" + std::to_string(index), kMaxNameBytes));
  t->name = std::string(name);
  const std::string what = "tensor '" + t->name + "'";
  uint32_t num_dims = 0;
  TB_RETURN_IF_ERROR(p.read(&num_dims, "the dimension count of " + what));
  if (num_dims == 0 || num_dims > kMaxDims) {
    return p.error(what + " has " + std::to_string(num_dims) + " dimensions; GGUF allows 1 to " +
                   std::to_string(kMaxDims));
  }
  int64_t num_elements = 1;
  for (uint32_t d = 0; d < num_dims; ++d) {
    uint64_t n = 0;
    TB_RETURN_IF_ERROR(p.read(&n, "the dimensions of " + what));
    if (n == 0 || n > uint64_t(std::numeric_limits<int64_t>::max())) {
      return p.error(what + " has dimension " + std::to_string(d) + " = " +
                     (n == 0 ? std::string("0") : std::to_string(int64_t(n))) + "; dimensions must be positive");
    }
    if (__builtin_mul_overflow(num_elements, int64_t(n), &num_elements)) {
      return p.error(what + ": the element count of its dimensions overflows 64 bits");
    }
    t->dims.push_back(int64_t(n));
  }
  TB_RETURN_IF_ERROR(p.read(&t->ggml_type, "the type of " + what));
  TB_RETURN_IF_ERROR(p.read(&t->offset, "the data offset of " + what));
  return Status::ok();
}

// Sizes each tensor from its type, checks it lies inside the data section, and points `data`
// into the mapping when turbine supports the type.
Status place_tensor(const Parser& p, const uint8_t* base, uint64_t data_start, uint64_t alignment,
                    GgufTensorInfo* t) {
  const std::string what = "tensor '" + t->name + "'";
  const std::string type_name(ggml_type_name(t->ggml_type));
  if (t->offset % alignment != 0) {
    return p.error(what + " has data offset " + std::to_string(t->offset) + ", not a multiple of the alignment " +
                   std::to_string(alignment));
  }
  const uint64_t section = p.size() >= data_start ? p.size() - data_start : 0;
  if (t->offset > section) {
    return p.error(what + " has data offset " + std::to_string(t->offset) + " past the end of the file (its data " +
                   "section starts at offset " + std::to_string(data_start) + " and holds " +
                   std::to_string(section) + " bytes)");
  }
  const auto block = ggml_block(t->ggml_type);
  if (!block) return Status::ok();  // a type id GGML does not define: size unknown, no data
  if (t->dims[0] % block->elems != 0) {
    return p.error(what + " (" + type_name + ") has " + std::to_string(t->dims[0]) +
                   " elements in its first dimension, not a multiple of the " + type_name + " block size " +
                   std::to_string(block->elems));
  }
  int64_t bytes = 0;
  if (__builtin_mul_overflow(t->num_elements() / block->elems, block->bytes, &bytes)) {
    return p.error(what + ": its size in bytes overflows 64 bits");
  }
  t->num_bytes = uint64_t(bytes);
  if (t->num_bytes > section - t->offset) {
    return p.error(what + " needs " + std::to_string(t->num_bytes) + " bytes at data offset " +
                   std::to_string(t->offset) + " (file offset " + std::to_string(data_start + t->offset) +
                   "), past the end of the file at offset " + std::to_string(p.size()));
  }
  if (dtype_from_ggml(t->ggml_type)) t->data = base + data_start + t->offset;
  return Status::ok();
}

Status read_header(Parser& p, uint32_t* version, uint64_t* num_tensors, uint64_t* num_kv) {
  if (p.size() < 4) {
    return p.error("not a GGUF file: it is only " + std::to_string(p.size()) + " bytes long");
  }
  uint8_t magic[4];
  TB_RETURN_IF_ERROR(p.read(&magic, "the magic"));
  if (std::memcmp(magic, "GGUF", 4) != 0) {
    char hex[32];
    std::snprintf(hex, sizeof(hex), "%02x %02x %02x %02x", magic[0], magic[1], magic[2], magic[3]);
    return p.error(std::string("not a GGUF file: it starts with bytes ") + hex + ", not 'GGUF'");
  }
  TB_RETURN_IF_ERROR(p.read(version, "the version"));
  if (*version != 0 && (*version & 0xFFFF) == 0) {
    return p.error("big-endian GGUF files are not supported (the version field reads " +
                   std::to_string(*version) + ", version " + std::to_string(__builtin_bswap32(*version)) +
                   " byte-swapped)");
  }
  if (*version == 1) {
    return p.error("GGUF version 1 is not supported (it predates 64-bit counts); "
                   "convert the model again with a current llama.cpp");
  }
  if (*version != 2 && *version != 3) {
    return p.error("GGUF version " + std::to_string(*version) + " is not supported (turbine reads versions 2 and 3)");
  }
  TB_RETURN_IF_ERROR(p.read(num_tensors, "the tensor count"));
  TB_RETURN_IF_ERROR(p.read(num_kv, "the metadata entry count"));
  return Status::ok();
}

}  // namespace

int64_t GgufTensorInfo::num_elements() const {
  int64_t n = 1;
  for (int64_t d : dims) n *= d;  // no overflow: checked by GgufFile::open
  return n;
}

Result<std::shared_ptr<GgufFile>> GgufFile::open(const std::string& path) {
  // Counts and lengths are capped before anything is allocated; should memory still run out
  // (a huge but well-formed vocabulary on a small machine), that is an error, not a crash.
  try {
    return open_mapped(path);
  } catch (const std::bad_alloc&) {
    return Status(ErrorCode::kResourceExhausted, path + ": out of memory reading the GGUF metadata");
  }
}

Result<std::shared_ptr<GgufFile>> GgufFile::open_mapped(const std::string& path) {
  TB_ASSIGN_OR_RETURN(auto mapping, MappedFile::open(path));
  std::shared_ptr<GgufFile> f(new GgufFile());
  f->file_ = mapping;
  Parser p(mapping->path(), mapping->data(), mapping->size());

  uint64_t num_tensors = 0, num_kv = 0;
  TB_RETURN_IF_ERROR(read_header(p, &f->version_, &num_tensors, &num_kv));
  TB_RETURN_IF_ERROR(read_metadata(p, num_kv, &f->metadata_));
  TB_ASSIGN_OR_RETURN(const uint64_t alignment, alignment_of(p, f->metadata_));

  // Each tensor info takes at least name length 8, n_dims 4, one dim 8, type 4, offset 8 bytes.
  if (num_tensors > p.remaining() / 32) {
    return p.error("header claims " + std::to_string(num_tensors) + " tensors, more than the " +
                   std::to_string(p.remaining()) + " bytes after the metadata can describe");
  }
  f->tensors_.reserve(size_t(std::min(num_tensors, kMaxReserve)));
  for (uint64_t i = 0; i < num_tensors; ++i) {
    GgufTensorInfo t;
    TB_RETURN_IF_ERROR(read_tensor_info(p, i, &t));
    if (!f->tensor_index_.emplace(t.name, f->tensors_.size()).second) {
      return p.error("tensor '" + t.name + "' appears more than once (again as tensor #" + std::to_string(i) + ")");
    }
    f->tensors_.push_back(std::move(t));
  }
  // The data section starts at the first aligned offset after the tensor infos.
  const uint64_t data_start = (uint64_t(p.pos()) + alignment - 1) / alignment * alignment;
  for (auto& t : f->tensors_) TB_RETURN_IF_ERROR(place_tensor(p, mapping->data(), data_start, alignment, &t));
  return f;
}

const GgufTensorInfo* GgufFile::find_tensor(const std::string& name) const {
  const auto it = tensor_index_.find(name);
  return it == tensor_index_.end() ? nullptr : &tensors_[it->second];
}

const GgufValue* GgufFile::find(const std::string& key) const {
  const auto it = metadata_.find(key);
  return it == metadata_.end() ? nullptr : &it->second;
}

namespace {
Status wrong_type(const GgufFile& f, const std::string& key, const GgufValue& v, const char* expected) {
  std::string got = value_type_name(v.type);
  if (v.type == GgufValueType::kArray) got = std::string("array of ") + value_type_name(v.array_type);
  return invalid_argument(f.path() + ": metadata key '" + key + "' has type " + got + ", expected " + expected);
}
}  // namespace

Result<std::optional<std::string>> GgufFile::get_string(const std::string& key) const {
  const GgufValue* v = find(key);
  if (v == nullptr) return std::optional<std::string>();
  if (v->type != GgufValueType::kString) return wrong_type(*this, key, *v, "a string");
  return std::optional<std::string>(std::get<std::string>(v->scalar));
}

Result<std::optional<int64_t>> GgufFile::get_int(const std::string& key) const {
  const GgufValue* v = find(key);
  if (v == nullptr) return std::optional<int64_t>();
  if (v->type != GgufValueType::kArray) {
    if (const auto* s = std::get_if<int64_t>(&v->scalar)) return std::optional<int64_t>(*s);
    if (const auto* u = std::get_if<uint64_t>(&v->scalar)) {
      if (*u > uint64_t(std::numeric_limits<int64_t>::max())) {
        return invalid_argument(path() + ": metadata key '" + key + "' is " + std::to_string(*u) +
                                ", too large for a signed 64-bit integer");
      }
      return std::optional<int64_t>(int64_t(*u));
    }
  }
  return wrong_type(*this, key, *v, "an integer");
}

Result<std::optional<double>> GgufFile::get_float(const std::string& key) const {
  const GgufValue* v = find(key);
  if (v == nullptr) return std::optional<double>();
  if (v->type != GgufValueType::kArray) {
    if (const auto* d = std::get_if<double>(&v->scalar)) return std::optional<double>(*d);
    if (const auto* s = std::get_if<int64_t>(&v->scalar)) return std::optional<double>(double(*s));
    if (const auto* u = std::get_if<uint64_t>(&v->scalar)) return std::optional<double>(double(*u));
  }
  return wrong_type(*this, key, *v, "a number");
}

Result<std::optional<bool>> GgufFile::get_bool(const std::string& key) const {
  const GgufValue* v = find(key);
  if (v == nullptr) return std::optional<bool>();
  if (v->type != GgufValueType::kBool) return wrong_type(*this, key, *v, "a bool");
  return std::optional<bool>(std::get<bool>(v->scalar));
}

}  // namespace turbine
