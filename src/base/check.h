// TB_CHECK: broken invariants abort with a message, in release builds too.
// Never use it on input from outside the process (files, requests): return a Status instead.
#pragma once

#include <string>

namespace turbine::detail {
[[noreturn]] void check_failed(const char* file, int line, const char* cond, const std::string& msg);
inline std::string check_message() { return {}; }
inline std::string check_message(std::string msg) { return msg; }
}  // namespace turbine::detail

#define TB_CHECK(cond, ...)                                                        \
  do {                                                                             \
    if (__builtin_expect(!(cond), 0))                                              \
      ::turbine::detail::check_failed(__FILE__, __LINE__, #cond,                   \
                                      ::turbine::detail::check_message(__VA_ARGS__)); \
  } while (0)
