#include <algorithm>
#include <bit>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <set>
#include <string>

#include "model/gguf.h"

// Writes GGUF v3 as llama.cpp's gguf_write does: header, metadata, tensor infos, padding to the
// alignment, then each tensor's data padded to the alignment, with tensor offsets equal to the
// running padded sum (llama.cpp's reader insists on exactly that layout).

namespace turbine {
namespace {

static_assert(std::endian::native == std::endian::little, "GGUF fields are read and written by memcpy");

constexpr uint32_t kVersion = 3;
constexpr uint64_t kDefaultAlignment = 32;
constexpr size_t kMaxNameBytes = 63;  // llama.cpp's GGML_MAX_NAME (64) includes the NUL

template <typename T>
void put(std::vector<uint8_t>& out, T v) {  // little-endian host, as GGUF
  const auto* b = reinterpret_cast<const uint8_t*>(&v);
  out.insert(out.end(), b, b + sizeof(T));
}

void put_string(std::vector<uint8_t>& out, std::string_view s) {
  put<uint64_t>(out, s.size());
  out.insert(out.end(), s.begin(), s.end());
}

std::vector<uint8_t> typed(GgufValueType t) {
  std::vector<uint8_t> out;
  put<uint32_t>(out, uint32_t(t));
  return out;
}

template <typename T>
std::vector<uint8_t> scalar(GgufValueType t, T v) {
  auto out = typed(t);
  put<T>(out, v);
  return out;
}

// One number of a numeric array, narrowed back to the element type it was read as.
void put_number(std::vector<uint8_t>& out, GgufValueType t, double v) {
  switch (t) {
    case GgufValueType::kUint8: return put<uint8_t>(out, uint8_t(v));
    case GgufValueType::kInt8: return put<int8_t>(out, int8_t(v));
    case GgufValueType::kUint16: return put<uint16_t>(out, uint16_t(v));
    case GgufValueType::kInt16: return put<int16_t>(out, int16_t(v));
    case GgufValueType::kUint32: return put<uint32_t>(out, uint32_t(v));
    case GgufValueType::kInt32: return put<int32_t>(out, int32_t(v));
    case GgufValueType::kUint64: return put<uint64_t>(out, uint64_t(v));
    case GgufValueType::kInt64: return put<int64_t>(out, int64_t(v));
    case GgufValueType::kFloat32: return put<float>(out, float(v));
    case GgufValueType::kFloat64: return put<double>(out, v);
    case GgufValueType::kBool: return put<uint8_t>(out, v != 0 ? 1 : 0);
    default: TB_CHECK(false, "put_number: not a numeric GGUF type");
  }
}

uint64_t pad_to(uint64_t n, uint64_t alignment) { return (n + alignment - 1) / alignment * alignment; }

}  // namespace

void GgufWriter::set_raw(const std::string& key, std::vector<uint8_t> encoded) {
  for (auto& [k, v] : kv_) {
    if (k == key) {
      v = std::move(encoded);
      return;
    }
  }
  kv_.emplace_back(key, std::move(encoded));
}

void GgufWriter::set_string(const std::string& key, const std::string& v) {
  auto out = typed(GgufValueType::kString);
  put_string(out, v);
  set_raw(key, std::move(out));
}
void GgufWriter::set_uint8(const std::string& key, uint8_t v) { set_raw(key, scalar(GgufValueType::kUint8, v)); }
void GgufWriter::set_int8(const std::string& key, int8_t v) { set_raw(key, scalar(GgufValueType::kInt8, v)); }
void GgufWriter::set_uint16(const std::string& key, uint16_t v) { set_raw(key, scalar(GgufValueType::kUint16, v)); }
void GgufWriter::set_int16(const std::string& key, int16_t v) { set_raw(key, scalar(GgufValueType::kInt16, v)); }
void GgufWriter::set_uint32(const std::string& key, uint32_t v) { set_raw(key, scalar(GgufValueType::kUint32, v)); }
void GgufWriter::set_int32(const std::string& key, int32_t v) { set_raw(key, scalar(GgufValueType::kInt32, v)); }
void GgufWriter::set_uint64(const std::string& key, uint64_t v) { set_raw(key, scalar(GgufValueType::kUint64, v)); }
void GgufWriter::set_int64(const std::string& key, int64_t v) { set_raw(key, scalar(GgufValueType::kInt64, v)); }
void GgufWriter::set_float32(const std::string& key, float v) { set_raw(key, scalar(GgufValueType::kFloat32, v)); }
void GgufWriter::set_float64(const std::string& key, double v) { set_raw(key, scalar(GgufValueType::kFloat64, v)); }
void GgufWriter::set_bool(const std::string& key, bool v) {
  set_raw(key, scalar<uint8_t>(GgufValueType::kBool, v ? 1 : 0));
}

void GgufWriter::set_string_array(const std::string& key, const std::vector<std::string>& v) {
  auto out = typed(GgufValueType::kArray);
  put<uint32_t>(out, uint32_t(GgufValueType::kString));
  put<uint64_t>(out, v.size());
  for (const auto& s : v) put_string(out, s);
  set_raw(key, std::move(out));
}

void GgufWriter::set_float32_array(const std::string& key, const std::vector<float>& v) {
  auto out = typed(GgufValueType::kArray);
  put<uint32_t>(out, uint32_t(GgufValueType::kFloat32));
  put<uint64_t>(out, v.size());
  for (float x : v) put<float>(out, x);
  set_raw(key, std::move(out));
}

void GgufWriter::set_int32_array(const std::string& key, const std::vector<int32_t>& v) {
  auto out = typed(GgufValueType::kArray);
  put<uint32_t>(out, uint32_t(GgufValueType::kInt32));
  put<uint64_t>(out, v.size());
  for (int32_t x : v) put<int32_t>(out, x);
  set_raw(key, std::move(out));
}

void GgufWriter::set_value(const std::string& key, const GgufValue& v) {
  auto out = typed(v.type);
  switch (v.type) {
    case GgufValueType::kString:
      put_string(out, std::get<std::string>(v.scalar));
      break;
    case GgufValueType::kBool:
      put<uint8_t>(out, std::get<bool>(v.scalar) ? 1 : 0);
      break;
    case GgufValueType::kFloat32: put<float>(out, float(std::get<double>(v.scalar))); break;
    case GgufValueType::kFloat64: put<double>(out, std::get<double>(v.scalar)); break;
    case GgufValueType::kUint8: put<uint8_t>(out, uint8_t(std::get<uint64_t>(v.scalar))); break;
    case GgufValueType::kUint16: put<uint16_t>(out, uint16_t(std::get<uint64_t>(v.scalar))); break;
    case GgufValueType::kUint32: put<uint32_t>(out, uint32_t(std::get<uint64_t>(v.scalar))); break;
    case GgufValueType::kUint64: put<uint64_t>(out, std::get<uint64_t>(v.scalar)); break;
    case GgufValueType::kInt8: put<int8_t>(out, int8_t(std::get<int64_t>(v.scalar))); break;
    case GgufValueType::kInt16: put<int16_t>(out, int16_t(std::get<int64_t>(v.scalar))); break;
    case GgufValueType::kInt32: put<int32_t>(out, int32_t(std::get<int64_t>(v.scalar))); break;
    case GgufValueType::kInt64: put<int64_t>(out, std::get<int64_t>(v.scalar)); break;
    case GgufValueType::kArray:
      put<uint32_t>(out, uint32_t(v.array_type));
      if (v.array_type == GgufValueType::kString) {
        put<uint64_t>(out, v.strings.size());
        for (auto s : v.strings) put_string(out, s);
      } else if (v.array_type == GgufValueType::kArray) {
        put<uint64_t>(out, 0);  // nested arrays were not kept by the reader
      } else {
        put<uint64_t>(out, v.numbers.size());
        for (double x : v.numbers) put_number(out, v.array_type, x);
      }
      break;
  }
  set_raw(key, std::move(out));
}

void GgufWriter::add_tensor(const std::string& name, DType dtype, std::vector<int64_t> dims,
                            std::vector<uint8_t> data) {
  tensors_.push_back(Tensor{name, dtype, std::move(dims), std::move(data)});
}

Status GgufWriter::write(const std::string& path) const {
  auto fail = [&](const std::string& what) { return invalid_argument(path + ": cannot write GGUF: " + what); };

  uint64_t alignment = kDefaultAlignment;
  for (const auto& [key, value] : kv_) {
    if (key != "general.alignment") continue;
    uint32_t type = 0, a = 0;
    std::memcpy(&type, value.data(), 4);
    if (type != uint32_t(GgufValueType::kUint32)) return fail("general.alignment must be set with set_uint32");
    std::memcpy(&a, value.data() + 4, 4);
    if (a == 0 || (a & (a - 1)) != 0) return fail("general.alignment " + std::to_string(a) + " is not a power of two");
    alignment = a;
  }

  // Header, metadata and tensor infos; tensor offsets are the running padded sum of sizes.
  std::vector<uint8_t> head;
  head.insert(head.end(), {'G', 'G', 'U', 'F'});
  put<uint32_t>(head, kVersion);
  put<uint64_t>(head, tensors_.size());
  put<uint64_t>(head, kv_.size());
  for (const auto& [key, value] : kv_) {
    put_string(head, key);
    head.insert(head.end(), value.begin(), value.end());
  }
  std::set<std::string> names;
  uint64_t offset = 0;
  for (const Tensor& t : tensors_) {
    const std::string what = "tensor '" + t.name + "'";
    if (t.name.size() > kMaxNameBytes) {
      return fail(what + ": the name is " + std::to_string(t.name.size()) + " bytes; llama.cpp reads at most " +
                  std::to_string(kMaxNameBytes));
    }
    if (!names.insert(t.name).second) return fail(what + " was added twice");
    if (t.dims.empty() || t.dims.size() > 4) return fail(what + " must have 1 to 4 dimensions");
    int64_t n = 1;
    for (int64_t d : t.dims) {
      if (d <= 0 || __builtin_mul_overflow(n, d, &n)) return fail(what + " has a dimension <= 0 or too large");
    }
    const auto& tr = dtype_traits(t.dtype);
    if (t.dims[0] % tr.block_elems != 0) {
      return fail(what + ": its first dimension " + std::to_string(t.dims[0]) + " is not a multiple of the " +
                  std::string(tr.name) + " block size " + std::to_string(tr.block_elems));
    }
    const uint64_t expected = uint64_t(n / tr.block_elems * tr.block_bytes);
    if (t.data.size() != expected) {
      return fail(what + " holds " + std::to_string(t.data.size()) + " bytes; its shape in " + std::string(tr.name) +
                  " needs " + std::to_string(expected));
    }
    put_string(head, t.name);
    put<uint32_t>(head, uint32_t(t.dims.size()));
    for (int64_t d : t.dims) put<uint64_t>(head, uint64_t(d));
    put<uint32_t>(head, uint32_t(t.dtype));
    put<uint64_t>(head, offset);
    offset += pad_to(t.data.size(), alignment);
  }
  head.resize(size_t(pad_to(head.size(), alignment)), 0);

  const std::string tmp = path + ".tmp";
  std::FILE* f = std::fopen(tmp.c_str(), "wb");
  if (f == nullptr) return io_error(path + ": cannot create " + tmp + ": " + std::strerror(errno));
  static const uint8_t kZeros[256] = {};  // alignment <= 256 in practice; larger pads loop
  bool ok = std::fwrite(head.data(), 1, head.size(), f) == head.size();
  for (const Tensor& t : tensors_) {
    if (!ok) break;
    ok = std::fwrite(t.data.data(), 1, t.data.size(), f) == t.data.size();
    for (uint64_t pad = pad_to(t.data.size(), alignment) - t.data.size(); ok && pad > 0;) {
      const size_t chunk = size_t(std::min<uint64_t>(pad, sizeof(kZeros)));
      ok = std::fwrite(kZeros, 1, chunk, f) == chunk;
      pad -= chunk;
    }
  }
  const int write_errno = errno;
  if (std::fclose(f) != 0) ok = false;
  if (!ok) {
    std::remove(tmp.c_str());
    return io_error(path + ": write failed: " + std::strerror(write_errno));
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    const int e = errno;
    std::remove(tmp.c_str());
    return io_error(path + ": cannot rename " + tmp + " into place: " + std::strerror(e));
  }
  return Status::ok();
}

}  // namespace turbine
