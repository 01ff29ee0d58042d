// Which instruction sets this CPU and OS can run, read once with cpuid/xgetbv. The CPU backend
// uses it to pick a kernel set at run time (kernels are compiled once per ISA). Any thread.
#pragma once

#include <optional>
#include <string_view>

namespace turbine::cpu {

// Kernel sets, each a superset of the one before: avx512 also needs AVX2 (it reuses AVX2 kernels
// for the ops that have no AVX-512 version).
enum class Isa { kGeneric, kAvx2, kAvx512 };

struct CpuFeatures {
  bool avx2 = false, fma = false, f16c = false;  // with OS support for YMM state
  bool avx512f = false, avx512bw = false, avx512vl = false, avx512dq = false;  // with ZMM state
  bool avx512vnni = false, avx512bf16 = false;
};

const CpuFeatures& cpu_features();
// True if the kernels built for `isa` can run here: avx2 needs AVX2+FMA+F16C; avx512 needs
// those plus AVX-512 F/BW/VL/DQ/VNNI/BF16 (what the *_avx512.cpp files are compiled for).
bool cpu_supports(Isa isa);
Isa best_isa();

std::string_view isa_name(Isa isa);                   // "generic", "avx2", "avx512"
std::optional<Isa> parse_isa(std::string_view name);  // the three names; "auto" is the caller's

}  // namespace turbine::cpu
