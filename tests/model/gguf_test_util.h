// Test helpers for GGUF: a scratch directory, whole-file byte I/O, and GgufBytes, a raw GGUF
// builder that can write what GgufWriter never would (wrong counts, bad offsets, odd versions).
// Test code only; single-threaded.
#pragma once

#include <stdlib.h>

#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "model/gguf.h"

namespace turbine::test {

// A fresh directory under /tmp, removed with everything in it on destruction.
class TempDir {
 public:
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "turbine_gguf_XXXXXX").string();
    if (mkdtemp(tmpl.data()) == nullptr) std::abort();
    dir_ = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  std::string path(const std::string& name) const { return dir_ + "/" + name; }

 private:
  std::string dir_;
};

inline void write_file_bytes(const std::string& path, const std::vector<uint8_t>& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(bytes.data()), std::streamsize(bytes.size()));
}

inline std::vector<uint8_t> read_file_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::vector<uint8_t>(std::istreambuf_iterator<char>(in), {});
}

// Appends little-endian GGUF fields. The tensor and metadata counts in the header are those of
// the kv_*/tensor calls, or what set_counts set last.
class GgufBytes {
 public:
  explicit GgufBytes(uint32_t version = 3) {
    b_ = {'G', 'G', 'U', 'F'};
    u32(version).u64(0).u64(0);  // counts patched in bytes()
  }
  GgufBytes& u8(uint8_t v) { return raw(&v, 1); }
  GgufBytes& u32(uint32_t v) { return raw(&v, 4); }
  GgufBytes& u64(uint64_t v) { return raw(&v, 8); }
  GgufBytes& str(const std::string& s) {
    u64(s.size());
    return raw(s.data(), s.size());
  }
  // A key and a value type; the caller appends the value.
  GgufBytes& kv_raw(const std::string& key, GgufValueType t) {
    ++num_kv_;
    return str(key).u32(uint32_t(t));
  }
  GgufBytes& kv_u32(const std::string& key, uint32_t v) { return kv_raw(key, GgufValueType::kUint32).u32(v); }
  GgufBytes& kv_str(const std::string& key, const std::string& v) {
    return kv_raw(key, GgufValueType::kString).str(v);
  }
  GgufBytes& tensor(const std::string& name, const std::vector<uint64_t>& dims, uint32_t type, uint64_t offset) {
    ++num_tensors_;
    str(name).u32(uint32_t(dims.size()));
    for (uint64_t d : dims) u64(d);
    return u32(type).u64(offset);
  }
  // Pads to the 32-byte alignment where the data section starts.
  GgufBytes& finish_infos() {
    b_.resize((b_.size() + 31) / 32 * 32, 0);
    return *this;
  }
  GgufBytes& data(const std::vector<uint8_t>& d) { return raw(d.data(), d.size()); }
  GgufBytes& set_counts(uint64_t num_tensors, uint64_t num_kv) {
    num_tensors_ = num_tensors;
    num_kv_ = num_kv;
    return *this;
  }

  std::vector<uint8_t> bytes() const {
    std::vector<uint8_t> out = b_;
    std::memcpy(out.data() + 8, &num_tensors_, 8);
    std::memcpy(out.data() + 16, &num_kv_, 8);
    return out;
  }

 private:
  GgufBytes& raw(const void* p, size_t n) {
    const auto* c = static_cast<const uint8_t*>(p);
    b_.insert(b_.end(), c, c + n);
    return *this;
  }
  std::vector<uint8_t> b_;
  uint64_t num_tensors_ = 0, num_kv_ = 0;
};

}  // namespace turbine::test
