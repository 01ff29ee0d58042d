// One model the frontend serves: its checkpoint, tokenizer and chat template under the name
// clients put in "model", and, in `turbine serve`, the engine that runs it in this process (a
// frontend in front of workers has none: the router reaches them). Built once; afterwards
// read-only except through the engine's own thread-safe calls, so any HTTP thread may use it.
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
  int64_t context_len = 0;                     // longest prompt + output the instances take
  std::unique_ptr<Engine> engine;              // null: the model runs in workers

  int64_t max_model_len() const { return context_len; }
};

// Loads `path`, parses its chat template, starts its engine. The engine's stop tokens are the
// tokenizer's. Errors name the file.
Result<std::unique_ptr<ServedModel>> load_served_model(const std::string& path, const std::string& name,
                                                       EngineOptions options);

// The model's tokenizer and chat template without an engine, for a frontend whose workers run
// it; `context_len` comes from the workers' registration (0: the checkpoint's).
Result<std::unique_ptr<ServedModel>> load_model_card(const std::string& path, const std::string& name,
                                                     int64_t context_len);

// The name a model is served under by default: the file or directory name without ".gguf".
std::string default_model_name(const std::string& path);

}  // namespace turbine
