#include "backend/cpu/cpu_backend.h"

#include <sys/mman.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>

#include "backend/cpu/interleaved8.h"
#include "base/check.h"

namespace turbine {

Result<std::unique_ptr<Backend>> make_cpu_backend(const CpuBackendOptions& options) {
  using cpu::Isa;
  if (options.num_threads < 0) {
    return invalid_argument("cpu backend: num_threads must be >= 0, got " +
                            std::to_string(options.num_threads));
  }
  Isa isa = cpu::best_isa();
  if (options.isa != "auto") {
    const auto parsed = cpu::parse_isa(options.isa);
    if (!parsed) {
      return invalid_argument("cpu backend: unknown isa '" + options.isa +
                              "' (expected auto, avx512, avx2 or generic)");
    }
    if (!cpu::cpu_supports(*parsed)) {
      return unsupported("cpu backend: this CPU cannot run the " + options.isa + " kernels");
    }
    isa = *parsed;
  }
  return std::unique_ptr<Backend>(new cpu::CpuBackend(isa, options.num_threads));
}

namespace cpu {

CpuBackend::CpuBackend(Isa isa, int num_threads) : kernels_(cpu_kernels(isa)), pool_(num_threads) {}

std::string CpuBackend::name() const {
  return "cpu (" + std::string(isa_name(kernels_.isa)) + ", " +
         std::to_string(pool_.num_threads()) +
         (pool_.num_threads() == 1 ? " thread)" : " threads)");
}

// Large buffers (KV caches) are 2 MiB aligned and advised onto transparent huge pages: a
// KV head's rows are a slot apart, so attention touches a new 4 KiB page every few tokens and
// would otherwise miss the TLB on most of them.
void* CpuBackend::alloc(size_t bytes) {
  constexpr size_t kHugePage = size_t(2) << 20;
  const bool huge = bytes >= kHugePage;
  const size_t align = huge ? kHugePage : 64;
  const size_t size = (std::max<size_t>(bytes, 1) + align - 1) / align * align;
  void* p = std::aligned_alloc(align, size);
  TB_CHECK(p != nullptr, "cpu backend: out of memory allocating " + std::to_string(bytes));
  if (huge) madvise(p, size, MADV_HUGEPAGE);  // advisory: failure only costs speed
  std::memset(p, 0, bytes);
  return p;
}

void CpuBackend::free(void* p) { std::free(p); }

void CpuBackend::copy(void* dst, const void* src, size_t bytes) { std::memcpy(dst, src, bytes); }

Result<PreparedWeight> CpuBackend::prepare_weight(const MatrixView& w) {
  // The kernel table decides: it has an interleaved panel only for the types and ISAs that
  // interleave (Q4_0 / Q8_0 / Q4_K / Q6_K on AVX2 and AVX-512).
  if (w.layout != MatrixLayout::kRowMajor || w.rows % 8 != 0 || w.rows == 0 ||
      kernels_.matmul(w.dtype, MatrixLayout::kInterleaved8).panel == nullptr) {
    return PreparedWeight{w, nullptr};
  }
  const int64_t block_elems = dtype_traits(w.dtype).block_elems;
  TB_CHECK(w.data != nullptr && w.cols > 0 && w.cols % block_elems == 0);
  const int64_t nb = w.cols / block_elems;
  const int64_t groups = w.rows / 8;
  // Not alloc(): every byte is written below (no zeroing), and a small matrix is not rounded
  // up to a huge page. The whole 2 MiB pages inside a large one are advised onto huge pages
  // (fewer TLB misses as a GEMV streams it). Freed with std::free, so the copy may outlive
  // this backend.
  const size_t bytes = size_t(w.num_bytes());
  std::shared_ptr<void> storage(std::aligned_alloc(64, (bytes + 63) / 64 * 64),
                                [](void* p) { std::free(p); });
  if (storage == nullptr) {
    return Status(ErrorCode::kResourceExhausted,
                  "cpu backend: out of memory copying a " + std::to_string(bytes) +
                      "-byte weight matrix into its interleaved layout");
  }
  constexpr uintptr_t kHugePage = uintptr_t(2) << 20;
  const auto begin = reinterpret_cast<uintptr_t>(storage.get());
  const uintptr_t first = (begin + kHugePage - 1) / kHugePage * kHugePage;
  const uintptr_t last = (begin + bytes) / kHugePage * kHugePage;
  if (first < last) madvise(reinterpret_cast<void*>(first), last - first, MADV_HUGEPAGE);
  maybe_parallel(groups, 1, groups * 8 * w.cols, [&](int64_t g0, int64_t g1) {
    pack_interleaved8(w.dtype, w.data, nb, g0, g1, storage.get());
  });
  MatrixView view = w;
  view.data = storage.get();
  view.layout = MatrixLayout::kInterleaved8;
  return PreparedWeight{view, std::move(storage)};
}

void CpuBackend::get_rows(const MatrixView& w, const int32_t* ids, int64_t n, float* y) {
  TB_CHECK(w.data != nullptr && ids != nullptr && y != nullptr && n >= 0);
  const bool interleaved = w.layout == MatrixLayout::kInterleaved8;
  TB_CHECK(!interleaved || has_interleaved8(w.dtype), "get_rows: unknown interleaved weight type");
  const int64_t stride = w.row_stride_bytes();
  const auto* base = static_cast<const uint8_t*>(w.data);
  maybe_parallel(n, 1, n * w.cols, [&](int64_t b, int64_t e) {
    std::vector<uint8_t> row(interleaved ? size_t(stride) : 0);  // the row back in row-major
    for (int64_t i = b; i < e; ++i) {
      TB_CHECK(ids[i] >= 0 && ids[i] < w.rows, "get_rows: id out of range");
      const void* src = base + ids[i] * stride;
      if (interleaved) {
        unpack_interleaved8_row(w.dtype, w.data, w.cols / dtype_traits(w.dtype).block_elems,
                                ids[i], row.data());
        src = row.data();
      }
      kernels_.dequantize_row(w.dtype, src, w.cols, y + i * w.cols);
    }
  });
}

void CpuBackend::rms_norm(const float* x, const float* weight, int64_t n, int64_t dim, float eps,
                          float* y) {
  TB_CHECK(x != nullptr && weight != nullptr && y != nullptr && n >= 0 && dim > 0);
  maybe_parallel(n, 1, n * dim, [&](int64_t b, int64_t e) {
    kernels_.rms_norm(x + b * dim, weight, e - b, dim, eps, y + b * dim);
  });
}

void CpuBackend::rope(float* x, const int32_t* positions, int64_t n, int64_t num_heads,
                      int64_t head_dim, const float* inv_freq, RopeStyle style) {
  TB_CHECK(x != nullptr && positions != nullptr && inv_freq != nullptr && n >= 0);
  TB_CHECK(head_dim > 0 && head_dim % 2 == 0 && head_dim <= kMaxRopeHeadDim,
           "rope: head_dim must be even and at most " + std::to_string(kMaxRopeHeadDim));
  const RopeArgs args{x, positions, num_heads, head_dim, inv_freq, style};
  // Each token also pays head_dim / 2 sin/cos pairs.
  maybe_parallel(n, 1, n * (num_heads * head_dim + 16 * head_dim),
                 [&](int64_t b, int64_t e) { kernels_.rope(args, b, e); });
}

void CpuBackend::silu_mul(const float* gate, const float* up, int64_t n, float* out) {
  TB_CHECK(gate != nullptr && up != nullptr && out != nullptr && n >= 0);
  maybe_parallel(n, 4096, n * 4, [&](int64_t b, int64_t e) {
    kernels_.silu_mul(gate + b, up + b, e - b, out + b);
  });
}

void CpuBackend::add(float* y, const float* x, int64_t n) {
  TB_CHECK(y != nullptr && x != nullptr && n >= 0);
  maybe_parallel(n, 8192, n, [&](int64_t b, int64_t e) { kernels_.add(y + b, x + b, e - b); });
}

void CpuBackend::add_bias(float* x, const float* bias, int64_t n, int64_t dim) {
  TB_CHECK(x != nullptr && bias != nullptr && n >= 0 && dim > 0);
  maybe_parallel(n, 1, n * dim,
                 [&](int64_t b, int64_t e) { kernels_.add_bias(x + b * dim, bias, e - b, dim); });
}

void CpuBackend::store_kv(const KvLayerView& kv, const float* k, const float* v,
                          const int32_t* slots, int64_t n) {
  TB_CHECK(kv.k != nullptr && kv.v != nullptr && k != nullptr && v != nullptr && slots != nullptr &&
           n >= 0);
  TB_CHECK(is_kv_dtype(kv.dtype, kv.head_dim),
           "store_kv: cache elements must be f32, f16, bf16, or q8_0 with head_dim % 32 == 0");
  const int64_t row = kv.num_kv_heads * kv.head_dim;
  const int64_t slot_bytes = row_bytes(kv.dtype, row);
  auto* kd = static_cast<uint8_t*>(kv.k);
  auto* vd = static_cast<uint8_t*>(kv.v);
  maybe_parallel(n, 1, n * row * 2, [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i) {
      TB_CHECK(slots[i] >= 0, "store_kv: negative slot");
      kernels_.convert_row(kv.dtype, k + i * row, row, kd + slots[i] * slot_bytes);
      kernels_.convert_row(kv.dtype, v + i * row, row, vd + slots[i] * slot_bytes);
    }
  });
}

}  // namespace cpu
}  // namespace turbine
