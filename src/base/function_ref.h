// A non-owning reference to a callable, like LLVM's function_ref: no allocation, no copy. For
// parameters called before the function returns (the thread pool's parallel regions, which
// run ~10 times per layer per token; std::function would allocate for most of their lambdas).
// The referenced callable must outlive every call.
#pragma once

#include <type_traits>
#include <utility>

namespace turbine {

template <typename Fn>
class FunctionRef;

template <typename R, typename... Args>
class FunctionRef<R(Args...)> {
 public:
  template <typename F, typename = std::enable_if_t<!std::is_same_v<std::decay_t<F>, FunctionRef>>>
  FunctionRef(F&& f)  // NOLINT: implicit, as a lambda argument
      : obj_(const_cast<void*>(static_cast<const void*>(&f))),
        call_([](void* obj, Args... args) -> R {
          return (*static_cast<std::remove_reference_t<F>*>(obj))(std::forward<Args>(args)...);
        }) {}

  R operator()(Args... args) const { return call_(obj_, std::forward<Args>(args)...); }

 private:
  void* obj_;
  R (*call_)(void*, Args...);
};

}  // namespace turbine
