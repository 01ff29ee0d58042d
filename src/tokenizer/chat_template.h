// Chat templates: the Jinja programs models ship (tokenizer_config.json "chat_template",
// GGUF tokenizer.chat_template) that turn a list of messages into the prompt text. Rendered
// byte for byte as @huggingface/jinja 0.5.11 renders them. A ChatTemplate is immutable after
// parse(); render() may be called from any number of threads at once.
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "base/status.h"

namespace turbine {

namespace jinja {
struct Program;
}

// Bounds on one render, so that a hostile template or input fails with an error instead of
// hanging the thread or exhausting memory. Real templates stay far below each of them.
struct ChatTemplateLimits {
  size_t max_string_bytes = 64u << 20;  // any one string, the output included
  size_t max_total_bytes = 512u << 20;  // all strings and lists built during the render
  size_t max_steps = 20'000'000;        // expressions and statements evaluated
  // Nested evaluation (macro recursion, nesting in the template). A level costs at most about
  // 1.5 KiB of machine stack, so a render stays under 512 KiB of the calling thread's stack.
  int max_depth = 250;
};

struct ChatTemplateRenderOptions {
  // What strftime_now() reads instead of the clock (formatted in the local time zone, as the
  // reference does); set it for reproducible prompts and tests.
  std::optional<std::chrono::system_clock::time_point> now;
  ChatTemplateLimits limits;
};

class ChatTemplate {
 public:
  // Parses once. Errors name line:column and what is wrong ("chat template 12:5: unexpected
  // 'endfor'").
  static Result<ChatTemplate> parse(std::string_view source);

  // context: {"messages": [...], "tools": [...] (optional), "add_generation_prompt": bool,
  // "bos_token": "...", "eos_token": "...", plus extra kwargs such as "enable_thinking"}.
  // Runtime faults (raise_exception(...) in the template, type errors, a limit reached) are an
  // error Result, never a crash. Object keys keep their order with ordered_json, which is
  // what `tojson` prints (tool schemas); nlohmann::json has already sorted them.
  Result<std::string> render(const nlohmann::ordered_json& context, const ChatTemplateRenderOptions& options = {}) const;
  Result<std::string> render(const nlohmann::json& context, const ChatTemplateRenderOptions& options = {}) const;

  const std::string& source() const { return *source_; }

 private:
  ChatTemplate(std::shared_ptr<const std::string> source, std::shared_ptr<const jinja::Program> program)
      : source_(std::move(source)), program_(std::move(program)) {}

  std::shared_ptr<const std::string> source_;  // for line:column in render errors
  std::shared_ptr<const jinja::Program> program_;
};

}  // namespace turbine
