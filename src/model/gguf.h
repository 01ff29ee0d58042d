// GGUF v2/v3 reader: parses the header, metadata and tensor directory of a memory-mapped file,
// checking every length, count and offset against the file size (a truncated or corrupted file
// is an error naming the file and the fault, never a crash). Immutable after open; any thread.
// GgufWriter builds GGUF v3 files llama.cpp can read; one writer per thread.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "base/dtype.h"
#include "base/mapped_file.h"
#include "base/status.h"

namespace turbine {

// GGUF metadata value types (gguf spec numbering).
enum class GgufValueType : uint32_t {
  kUint8 = 0, kInt8 = 1, kUint16 = 2, kInt16 = 3, kUint32 = 4, kInt32 = 5, kFloat32 = 6,
  kBool = 7, kString = 8, kArray = 9, kUint64 = 10, kInt64 = 11, kFloat64 = 12,
};

// One metadata value. Unsigned integers are widened to uint64, signed ones to int64, floats to
// double; arrays keep their element type. String arrays (vocabularies) hold views into the
// mapping: valid while the GgufFile lives. Numeric arrays hold doubles (exact up to 2^53).
// Arrays of arrays are skipped after bounds checks: array_type kArray with no elements.
struct GgufValue {
  GgufValueType type = GgufValueType::kUint8;
  std::variant<uint64_t, int64_t, double, bool, std::string> scalar;
  GgufValueType array_type = GgufValueType::kUint8;  // element type when type == kArray
  std::vector<std::string_view> strings;  // kArray of kString
  std::vector<double> numbers;            // kArray of numeric or bool
};

struct GgufTensorInfo {
  std::string name;
  std::vector<int64_t> dims;  // GGML order: dims[0] is the innermost (contiguous) dimension
  uint32_t ggml_type = 0;     // raw type id; dtype_from_ggml() maps what turbine supports
  uint64_t offset = 0;        // from the start of the data section
  const uint8_t* data = nullptr;  // into the mapping; null only if the type is unsupported
  uint64_t num_bytes = 0;         // 0 only for a type id GGML does not define (size unknown)
  int64_t num_elements() const;
};

class GgufFile {
 public:
  static Result<std::shared_ptr<GgufFile>> open(const std::string& path);

  const std::string& path() const { return file_->path(); }
  uint32_t version() const { return version_; }
  const std::map<std::string, GgufValue>& metadata() const { return metadata_; }
  const std::vector<GgufTensorInfo>& tensors() const { return tensors_; }
  const GgufTensorInfo* find_tensor(const std::string& name) const;
  std::shared_ptr<const MappedFile> mapping() const { return file_; }

  // Typed lookups: nullopt when the key is absent; an error when present with the wrong type.
  const GgufValue* find(const std::string& key) const;
  Result<std::optional<std::string>> get_string(const std::string& key) const;
  Result<std::optional<int64_t>> get_int(const std::string& key) const;     // any integer type
  Result<std::optional<double>> get_float(const std::string& key) const;    // float or integer
  Result<std::optional<bool>> get_bool(const std::string& key) const;

 private:
  GgufFile() = default;
  static Result<std::shared_ptr<GgufFile>> open_mapped(const std::string& path);
  std::shared_ptr<const MappedFile> file_;
  uint32_t version_ = 0;
  std::map<std::string, GgufValue> metadata_;
  std::vector<GgufTensorInfo> tensors_;
  std::map<std::string, size_t> tensor_index_;
};

// Builds a GGUF v3 file (for `turbine model make-test`, conversion and tests): metadata in the
// order first set (setting a key again replaces its value in place), then tensor infos, then
// tensor data in add order, each padded to the alignment (32, or general.alignment if set).
class GgufWriter {
 public:
  void set_string(const std::string& key, const std::string& v);
  void set_uint8(const std::string& key, uint8_t v);
  void set_int8(const std::string& key, int8_t v);
  void set_uint16(const std::string& key, uint16_t v);
  void set_int16(const std::string& key, int16_t v);
  void set_uint32(const std::string& key, uint32_t v);
  void set_int32(const std::string& key, int32_t v);
  void set_uint64(const std::string& key, uint64_t v);
  void set_int64(const std::string& key, int64_t v);
  void set_float32(const std::string& key, float v);
  void set_float64(const std::string& key, double v);
  void set_bool(const std::string& key, bool v);
  void set_string_array(const std::string& key, const std::vector<std::string>& v);
  void set_float32_array(const std::string& key, const std::vector<float>& v);
  void set_int32_array(const std::string& key, const std::vector<int32_t>& v);
  // Any value as read by GgufFile (copying metadata from one file to another); a numeric array
  // is written back in its array_type, a skipped array of arrays as an empty one.
  void set_value(const std::string& key, const GgufValue& v);
  // dims in GGML order (dims[0] innermost); data is already encoded in `dtype`. Shapes, sizes
  // and names are checked by write(), which names the tensor in its error.
  void add_tensor(const std::string& name, DType dtype, std::vector<int64_t> dims, std::vector<uint8_t> data);
  // Writes `path` + ".tmp" and renames it over `path`: no half-written file under the real name.
  Status write(const std::string& path) const;

 private:
  void set_raw(const std::string& key, std::vector<uint8_t> encoded);
  struct Tensor {
    std::string name;
    DType dtype;
    std::vector<int64_t> dims;
    std::vector<uint8_t> data;
  };
  std::vector<std::pair<std::string, std::vector<uint8_t>>> kv_;  // key, little-endian type id + value
  std::vector<Tensor> tensors_;
};

}  // namespace turbine
