// A growable 64-byte aligned byte buffer the CPU backend reuses across ops (quantized
// activations, attention tiles). Grows, never shrinks; contents are not kept across growth.
// Owned by one backend; only its calling thread resizes it.
#pragma once

#include <cstddef>
#include <cstdlib>

#include "base/check.h"

namespace turbine::cpu {

class ScratchBuffer {
 public:
  ScratchBuffer() = default;
  ~ScratchBuffer() { std::free(data_); }
  ScratchBuffer(const ScratchBuffer&) = delete;
  ScratchBuffer& operator=(const ScratchBuffer&) = delete;

  // At least `bytes` bytes, 64-byte aligned.
  void* get(size_t bytes) {
    if (bytes > size_) {
      std::free(data_);
      size_ = (bytes + 63) / 64 * 64;
      data_ = std::aligned_alloc(64, size_);
      TB_CHECK(data_ != nullptr, "ScratchBuffer: out of memory");
    }
    return data_;
  }

 private:
  void* data_ = nullptr;
  size_t size_ = 0;
};

// Rounds n up to a multiple of 64 (offsets of arrays carved from one scratch buffer).
constexpr size_t align64(size_t n) { return (n + 63) / 64 * 64; }

}  // namespace turbine::cpu
