// One model the frontend serves: its checkpoint, tokenizer, chat template and engine, under the
// name clients put in "model". Built at start-up; afterwards read-only except through the
// engine's own thread-safe calls, so any HTTP thread may use it.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "base/status.h"
#include "engine/engine.h"
#include "model/checkpoint.h"
#include "tokenizer/chat_template.h"
#include "tokenizer/tokenizer.h"

namespace turbine {

struct ServedModel {
  std::string name;                            // as clients ask for it
  std::string path;                            // what it was loaded from
  int64_t created = 0;                         // Unix seconds, at load
  std::shared_ptr<const Checkpoint> checkpoint;
  std::shared_ptr<const Tokenizer> tokenizer;
  std::optional<ChatTemplate> chat_template;   // none: /v1/chat/completions refuses the model
  std::unique_ptr<Engine> engine;

  int64_t max_model_len() const { return engine->max_model_len(); }
};

// Loads `path`, parses its chat template, starts its engine. The engine's stop tokens are the
// tokenizer's. Errors name the file.
Result<std::unique_ptr<ServedModel>> load_served_model(const std::string& path, const std::string& name,
                                                       EngineOptions options);

// The name a model is served under by default: the file or directory name without ".gguf".
std::string default_model_name(const std::string& path);

}  // namespace turbine
