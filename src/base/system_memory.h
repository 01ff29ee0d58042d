// What the machine has: memory the process may still use. Any thread.
#pragma once

#include <cstdint>

namespace turbine {

// MemAvailable from /proc/meminfo in bytes; 0 when it cannot be read.
int64_t available_memory_bytes();

}  // namespace turbine
