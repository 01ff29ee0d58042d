#include "frontend/served_model.h"

#include <chrono>
#include <filesystem>

namespace turbine {

std::string default_model_name(const std::string& path) {
  std::filesystem::path p(path);
  if (p.filename().empty()) p = p.parent_path();  // "dir/"
  std::string name = p.filename().string();
  if (name.size() > 5 && name.ends_with(".gguf")) name.resize(name.size() - 5);
  return name;
}

Result<std::unique_ptr<ServedModel>> load_model_card(const std::string& path, const std::string& name,
                                                     int64_t context_len) {
  auto m = std::make_unique<ServedModel>();
  m->name = name;
  m->path = path;
  m->created = std::chrono::duration_cast<std::chrono::seconds>(
                   std::chrono::system_clock::now().time_since_epoch()).count();
  TB_ASSIGN_OR_RETURN(m->checkpoint, load_checkpoint(path));
  auto tok = Tokenizer::from_checkpoint(*m->checkpoint);
  if (!tok) return tok.status().with_context(path);
  m->tokenizer = *tok;
  if (!m->checkpoint->chat_template.empty()) {
    auto tmpl = ChatTemplate::parse(m->checkpoint->chat_template);
    if (!tmpl) return tmpl.status().with_context(path);
    m->chat_template = std::move(*tmpl);
  }
  m->context_len = context_len > 0 ? context_len : m->checkpoint->config.context_length;
  return m;
}

Result<std::unique_ptr<ServedModel>> load_served_model(const std::string& path, const std::string& name,
                                                       EngineOptions options) {
  TB_ASSIGN_OR_RETURN(auto m, load_model_card(path, name, 0));
  options.stop_token_ids = m->tokenizer->stop_ids();
  auto engine = Engine::create(m->checkpoint, options);
  if (!engine) return engine.status().with_context(path);
  m->engine = std::move(*engine);
  m->context_len = m->engine->max_model_len();
  return m;
}

}  // namespace turbine
