// Safetensors reader (memory-mapped, every header field checked against the file) and writer,
// plus the sharded form (model.safetensors.index.json -> shard files) as one name lookup.
// Readers are immutable after open (any thread); a writer belongs to one thread.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/dtype.h"
#include "base/mapped_file.h"
#include "base/status.h"

namespace turbine {

// Largest JSON header accepted (the reference implementation's limit too).
constexpr uint64_t kSafetensorsMaxHeaderBytes = 100'000'000;

struct SafetensorsTensor {
  std::string name;
  std::string dtype_name;       // as the header spells it: "F32", "BF16", "I64", ...
  std::optional<DType> dtype;   // F32 / F16 / BF16; nullopt for a dtype turbine cannot compute with
  std::vector<int64_t> shape;   // row-major, outermost first (PyTorch order: [out, in])
  const uint8_t* data = nullptr;  // into the mapping
  uint64_t num_bytes = 0;
  int64_t num_elements() const;
};

class SafetensorsFile {
 public:
  // Errors name `path`: truncated file, header size past the end or over the limit, bad JSON,
  // a dtype safetensors does not define, offsets out of range or inconsistent with shape * dtype.
  static Result<std::shared_ptr<SafetensorsFile>> open(const std::string& path);

  const std::string& path() const { return file_->path(); }
  const std::vector<SafetensorsTensor>& tensors() const { return tensors_; }
  const SafetensorsTensor* find(const std::string& name) const;
  const std::map<std::string, std::string>& metadata() const { return metadata_; }  // __metadata__
  std::shared_ptr<const MappedFile> mapping() const { return file_; }

 private:
  SafetensorsFile() = default;
  Status parse_header();
  std::shared_ptr<const MappedFile> file_;
  std::vector<SafetensorsTensor> tensors_;
  std::map<std::string, size_t> index_;
  std::map<std::string, std::string> metadata_;
};

// All tensors of a Hugging Face checkpoint: one model.safetensors, or the shards a
// model.safetensors.index.json names. Immutable after open; any thread.
class SafetensorsShards {
 public:
  // `dir` holds model.safetensors or model.safetensors.index.json (the single file wins).
  static Result<std::shared_ptr<SafetensorsShards>> open_dir(const std::string& dir);
  static Result<std::shared_ptr<SafetensorsShards>> open_index(const std::string& index_path);

  // The tensor and the file that holds it; nullptr when no shard has `name`.
  struct Entry {
    const SafetensorsTensor* tensor = nullptr;
    const SafetensorsFile* file = nullptr;
  };
  Entry find(const std::string& name) const;
  const std::vector<std::shared_ptr<SafetensorsFile>>& files() const { return files_; }
  // The file a missing tensor is reported against: model.safetensors or the index.
  const std::string& source_path() const { return source_path_; }
  std::vector<std::string> tensor_names() const;

 private:
  std::string source_path_;
  std::vector<std::shared_ptr<SafetensorsFile>> files_;
  std::map<std::string, Entry> entries_;
};

// Element size in bytes of a safetensors dtype name (F32 -> 4, BOOL -> 1); nullopt if unknown.
std::optional<int> safetensors_dtype_size(const std::string& dtype_name);
// "F32", "F16", "BF16" for those DTypes; empty for others (safetensors has no quantized types).
std::string safetensors_dtype_name(DType t);

// Builds a .safetensors file as the reference writer does: header padded with spaces to an 8-byte
// boundary, tensors laid out without holes, wider dtypes first (then in the order added) so every
// tensor is aligned to its element size in a mapping.
class SafetensorsWriter {
 public:
  // `data` is already encoded in `dtype` (F32/F16/BF16): product(shape) elements, row-major.
  Status add_tensor(const std::string& name, DType dtype, std::vector<int64_t> shape,
                    std::vector<uint8_t> data);
  void set_metadata(const std::string& key, const std::string& value);
  Status write(const std::string& path) const;

 private:
  struct Tensor {
    std::string name;
    DType dtype;
    std::vector<int64_t> shape;
    std::vector<uint8_t> data;
  };
  std::vector<Tensor> tensors_;
  std::map<std::string, std::string> metadata_;
};

}  // namespace turbine
