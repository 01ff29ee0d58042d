#include "model/safetensors.h"

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "model/tensor_names.h"

namespace turbine {
namespace {

using json = nlohmann::json;

struct DTypeEntry {
  const char* name;
  int size;
};
// Every dtype the safetensors format defines; only F32/F16/BF16 map to a turbine DType.
constexpr DTypeEntry kDTypes[] = {
    {"BOOL", 1}, {"U8", 1},  {"I8", 1},  {"F8_E4M3", 1}, {"F8_E5M2", 1}, {"I16", 2},
    {"U16", 2},  {"F16", 2}, {"BF16", 2}, {"I32", 4},    {"U32", 4},     {"F32", 4},
    {"I64", 8},  {"U64", 8}, {"F64", 8},
};

std::optional<DType> dtype_from_name(const std::string& n) {
  if (n == "F32") return DType::kF32;
  if (n == "F16") return DType::kF16;
  if (n == "BF16") return DType::kBF16;
  return std::nullopt;
}

uint64_t read_le64(const uint8_t* p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = v << 8 | p[i];
  return v;
}

// A JSON integer >= 0 that fits int64 (shapes and offsets); false for floats, negatives, strings.
bool as_count(const json& j, int64_t* out) {
  if (j.is_number_unsigned()) {
    const uint64_t v = j.get<uint64_t>();
    if (v > uint64_t(INT64_MAX)) return false;
    *out = int64_t(v);
    return true;
  }
  if (j.is_number_integer()) {
    const int64_t v = j.get<int64_t>();
    if (v < 0) return false;
    *out = v;
    return true;
  }
  return false;
}

// Parses one tensor entry of the header; `data_size` is the byte size of the data section.
Status parse_tensor_entry(const std::string& name, const json& e, const uint8_t* data_start,
                          uint64_t data_size, SafetensorsTensor* t) {
  const std::string where = "tensor " + name + ": ";
  if (!e.is_object()) return invalid_argument(where + "header entry is not an object");
  const auto dt = e.find("dtype");
  const auto sh = e.find("shape");
  const auto off = e.find("data_offsets");
  if (dt == e.end() || !dt->is_string()) return invalid_argument(where + "missing string \"dtype\"");
  if (sh == e.end() || !sh->is_array()) return invalid_argument(where + "missing array \"shape\"");
  if (off == e.end() || !off->is_array() || off->size() != 2)
    return invalid_argument(where + "\"data_offsets\" must be an array of two integers");
  t->name = name;
  t->dtype_name = dt->get<std::string>();
  const auto elem = safetensors_dtype_size(t->dtype_name);
  if (!elem) return invalid_argument(where + "unknown dtype \"" + t->dtype_name + "\"");
  t->dtype = dtype_from_name(t->dtype_name);
  uint64_t expected = uint64_t(*elem);
  for (const json& d : *sh) {
    int64_t v = 0;
    if (!as_count(d, &v)) return invalid_argument(where + "shape entries must be non-negative integers");
    t->shape.push_back(v);
    if (__builtin_mul_overflow(expected, uint64_t(v), &expected))
      return invalid_argument(where + "shape " + shape_to_string(t->shape) + " overflows");
  }
  int64_t begin = 0, end = 0;
  if (!as_count((*off)[0], &begin) || !as_count((*off)[1], &end))
    return invalid_argument(where + "\"data_offsets\" must be non-negative integers");
  if (begin > end)
    return invalid_argument(where + "data_offsets [" + std::to_string(begin) + ", " +
                            std::to_string(end) + "] are reversed");
  if (uint64_t(end) > data_size)
    return invalid_argument(where + "data_offsets end " + std::to_string(end) +
                            " is past the end of the data (" + std::to_string(data_size) + " bytes)");
  t->num_bytes = uint64_t(end - begin);
  if (t->num_bytes != expected)
    return invalid_argument(where + "shape " + shape_to_string(t->shape) + " of " + t->dtype_name +
                            " needs " + std::to_string(expected) + " bytes, data_offsets span " +
                            std::to_string(t->num_bytes));
  t->data = data_start + begin;
  return Status::ok();
}

}  // namespace

int64_t SafetensorsTensor::num_elements() const {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return n;
}

std::optional<int> safetensors_dtype_size(const std::string& dtype_name) {
  for (const auto& e : kDTypes)
    if (dtype_name == e.name) return e.size;
  return std::nullopt;
}

std::string safetensors_dtype_name(DType t) {
  switch (t) {
    case DType::kF32: return "F32";
    case DType::kF16: return "F16";
    case DType::kBF16: return "BF16";
    default: return "";
  }
}

Result<std::shared_ptr<SafetensorsFile>> SafetensorsFile::open(const std::string& path) {
  TB_ASSIGN_OR_RETURN(auto mapping, MappedFile::open(path));
  std::shared_ptr<SafetensorsFile> f(new SafetensorsFile());
  f->file_ = std::move(mapping);
  TB_RETURN_IF_ERROR(f->parse_header().with_context(path));
  return f;
}

// Layout: [u64 LE header size N][N bytes of JSON][data section]; data_offsets are relative to
// the data section.
Status SafetensorsFile::parse_header() {
  const uint8_t* base = file_->data();
  const uint64_t size = file_->size();
  if (size < 8) return invalid_argument("file of " + std::to_string(size) + " bytes is too short for a safetensors header");
  const uint64_t header_size = read_le64(base);
  if (header_size > kSafetensorsMaxHeaderBytes)
    return invalid_argument("header size " + std::to_string(header_size) + " exceeds the limit of " +
                            std::to_string(kSafetensorsMaxHeaderBytes) + " bytes");
  if (header_size > size - 8)
    return invalid_argument("header size " + std::to_string(header_size) + " is past the end of the file (" +
                            std::to_string(size) + " bytes)");
  const char* text = reinterpret_cast<const char*>(base + 8);
  const json header = json::parse(text, text + header_size, nullptr, /*allow_exceptions=*/false);
  if (header.is_discarded()) return invalid_argument("header is not valid JSON");
  if (!header.is_object()) return invalid_argument("header is not a JSON object");

  const uint8_t* data_start = base + 8 + header_size;
  const uint64_t data_size = size - 8 - header_size;
  for (const auto& [key, value] : header.items()) {
    if (key == "__metadata__") {
      if (!value.is_object()) return invalid_argument("__metadata__ is not an object");
      for (const auto& [mk, mv] : value.items()) {
        if (!mv.is_string()) return invalid_argument("__metadata__ value \"" + mk + "\" is not a string");
        metadata_[mk] = mv.get<std::string>();
      }
      continue;
    }
    SafetensorsTensor t;
    TB_RETURN_IF_ERROR(parse_tensor_entry(key, value, data_start, data_size, &t));
    index_[t.name] = tensors_.size();
    tensors_.push_back(std::move(t));
  }
  return Status::ok();
}

const SafetensorsTensor* SafetensorsFile::find(const std::string& name) const {
  const auto it = index_.find(name);
  return it == index_.end() ? nullptr : &tensors_[it->second];
}

namespace {

bool is_regular_file(const std::string& path) {
  std::error_code ec;
  return std::filesystem::is_regular_file(path, ec);
}

// A shard named by the index must stay inside the checkpoint directory.
bool is_safe_relative(const std::string& name) {
  if (name.empty() || name[0] == '/') return false;
  for (const auto& part : std::filesystem::path(name))
    if (part == "..") return false;
  return true;
}

}  // namespace

Result<std::shared_ptr<SafetensorsShards>> SafetensorsShards::open_dir(const std::string& dir) {
  const std::string single = dir + "/model.safetensors";
  const std::string index = dir + "/model.safetensors.index.json";
  if (!is_regular_file(single)) {
    if (is_regular_file(index)) return open_index(index);
    return not_found(dir + ": no model.safetensors or model.safetensors.index.json");
  }
  TB_ASSIGN_OR_RETURN(auto file, SafetensorsFile::open(single));
  auto shards = std::make_shared<SafetensorsShards>();
  shards->source_path_ = single;
  for (const auto& t : file->tensors()) shards->entries_[t.name] = {&t, file.get()};
  shards->files_.push_back(std::move(file));
  return shards;
}

// model.safetensors.index.json: {"metadata": {...}, "weight_map": {tensor name: shard file}}.
Result<std::shared_ptr<SafetensorsShards>> SafetensorsShards::open_index(const std::string& index_path) {
  TB_ASSIGN_OR_RETURN(const std::string text, read_text_file(index_path));
  const json index = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (index.is_discarded() || !index.is_object()) return invalid_argument(index_path + ": not a JSON object");
  const auto wm = index.find("weight_map");
  if (wm == index.end() || !wm->is_object() || wm->empty())
    return invalid_argument(index_path + ": missing or empty \"weight_map\" object");
  const std::string dir = std::filesystem::path(index_path).parent_path().string();
  auto shards = std::make_shared<SafetensorsShards>();
  shards->source_path_ = index_path;
  std::map<std::string, SafetensorsFile*> by_shard;
  for (const auto& [name, shard] : wm->items()) {
    if (!shard.is_string() || !is_safe_relative(shard.get<std::string>()))
      return invalid_argument(index_path + ": weight_map entry for " + name +
                              " must be a file name inside the checkpoint directory");
    const std::string shard_name = shard.get<std::string>();
    auto it = by_shard.find(shard_name);
    if (it == by_shard.end()) {
      TB_ASSIGN_OR_RETURN(auto file, SafetensorsFile::open(dir.empty() ? shard_name : dir + "/" + shard_name));
      it = by_shard.emplace(shard_name, file.get()).first;
      shards->files_.push_back(std::move(file));
    }
    const SafetensorsTensor* t = it->second->find(name);
    if (t == nullptr)
      return invalid_argument(index_path + ": tensor " + name + " is mapped to " + shard_name +
                              ", which does not contain it");
    shards->entries_[name] = {t, it->second};
  }
  return shards;
}

SafetensorsShards::Entry SafetensorsShards::find(const std::string& name) const {
  const auto it = entries_.find(name);
  return it == entries_.end() ? Entry{} : it->second;
}

std::vector<std::string> SafetensorsShards::tensor_names() const {
  std::vector<std::string> names;
  for (const auto& [name, e] : entries_) names.push_back(name);
  return names;
}

Status SafetensorsWriter::add_tensor(const std::string& name, DType dtype, std::vector<int64_t> shape,
                                     std::vector<uint8_t> data) {
  if (safetensors_dtype_name(dtype).empty())
    return unsupported("safetensors cannot hold " + std::string(dtype_name(dtype)) + " tensor " + name);
  uint64_t n = dtype_traits(dtype).block_bytes;
  for (int64_t d : shape) {
    if (d < 0) return invalid_argument("tensor " + name + ": negative dimension");
    n *= uint64_t(d);
  }
  if (n != data.size())
    return invalid_argument("tensor " + name + ": shape " + shape_to_string(shape) + " needs " +
                            std::to_string(n) + " bytes, got " + std::to_string(data.size()));
  for (const auto& t : tensors_)
    if (t.name == name) return invalid_argument("tensor " + name + " added twice");
  tensors_.push_back({name, dtype, std::move(shape), std::move(data)});
  return Status::ok();
}

void SafetensorsWriter::set_metadata(const std::string& key, const std::string& value) {
  metadata_[key] = value;
}

Status SafetensorsWriter::write(const std::string& path) const {
  std::vector<const Tensor*> order;
  for (const auto& t : tensors_) order.push_back(&t);
  std::stable_sort(order.begin(), order.end(), [](const Tensor* a, const Tensor* b) {
    return dtype_traits(a->dtype).block_bytes > dtype_traits(b->dtype).block_bytes;
  });
  json header = json::object();
  if (!metadata_.empty()) header["__metadata__"] = metadata_;
  uint64_t offset = 0;
  for (const Tensor* t : order) {
    header[t->name] = {{"dtype", safetensors_dtype_name(t->dtype)},
                       {"shape", t->shape},
                       {"data_offsets", {offset, offset + t->data.size()}}};
    offset += t->data.size();
  }
  std::string text = header.dump(-1, ' ', false, json::error_handler_t::replace);
  text.append((8 - text.size() % 8) % 8, ' ');

  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) return io_error(path + ": cannot create: " + std::strerror(errno));
  uint8_t size_le[8];
  for (int i = 0; i < 8; ++i) size_le[i] = uint8_t(uint64_t(text.size()) >> (8 * i));
  out.write(reinterpret_cast<const char*>(size_le), 8);
  out.write(text.data(), std::streamsize(text.size()));
  for (const Tensor* t : order) out.write(reinterpret_cast<const char*>(t->data.data()), std::streamsize(t->data.size()));
  out.close();
  if (!out) return io_error(path + ": write failed");
  return Status::ok();
}

}  // namespace turbine
