// A read-only memory-mapped file. Checkpoint weights are used in place from the mapping unless
// the backend copies them into its own layout (then their pages are dropped: drop_pages).
// Immutable after open; any thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "base/status.h"

namespace turbine {

class MappedFile {
 public:
  static Result<std::shared_ptr<MappedFile>> open(const std::string& path);
  ~MappedFile();
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;

  const uint8_t* data() const { return data_; }
  size_t size() const { return size_; }
  const std::string& path() const { return path_; }

  // Drops this process's resident pages of [p, p + n), rounded inward to whole pages, when that
  // range lies in the mapping (otherwise does nothing): a later read faults them back from the
  // file, so the bytes never change. For data a backend has copied, so it is not held twice.
  void drop_pages(const void* p, size_t n) const;

 private:
  MappedFile() = default;
  std::string path_;
  const uint8_t* data_ = nullptr;
  size_t size_ = 0;
};

// Whole file into a string (small text files: config.json, tokenizer.json).
Result<std::string> read_text_file(const std::string& path);

}  // namespace turbine
