#include "api/generation_params.h"

#include <limits>

namespace turbine::api {
namespace {

constexpr int64_t kInt32Max = std::numeric_limits<int32_t>::max();
constexpr int64_t kInt32Min = std::numeric_limits<int32_t>::min();
constexpr int64_t kInt64Max = std::numeric_limits<int64_t>::max();
constexpr int64_t kInt64Min = std::numeric_limits<int64_t>::min();
constexpr int kMaxStopStrings = 4;  // OpenAI's limit
constexpr double kInf = std::numeric_limits<double>::infinity();

// `stop`: null, one string, or an array of up to 4; empty strings would stop at once.
void read_stop(FieldReader& reader, std::vector<std::string>* out) {
  const nlohmann::json* stop = reader.failed() ? nullptr : reader.value("stop");
  if (!stop) return;
  if (stop->is_string()) {
    if (stop->get_ref<const std::string&>().empty()) {
      reader.fail("stop", "'stop' must not be an empty string");
      return;
    }
    out->push_back(stop->get<std::string>());
    return;
  }
  if (!stop->is_array()) {
    reader.fail("stop", "'stop' must be a string or an array of strings, got " + json_type_name(*stop));
    return;
  }
  if (stop->size() > kMaxStopStrings) {
    reader.fail("stop", "'stop' may hold at most 4 strings, got " + std::to_string(stop->size()));
    return;
  }
  for (const nlohmann::json& s : *stop) {
    if (!s.is_string() || s.get_ref<const std::string&>().empty()) {
      reader.fail("stop", "'stop' must hold non-empty strings");
      return;
    }
    out->push_back(s.get<std::string>());
  }
}

void read_stop_token_ids(FieldReader& reader, std::vector<int32_t>* out) {
  const nlohmann::json* ids = reader.array("stop_token_ids");
  if (!ids) return;
  for (const nlohmann::json& id : *ids) {
    const std::optional<int64_t> v = json_integer(id);
    if (!v || *v < 0 || *v > kInt32Max) {
      reader.fail("stop_token_ids", "'stop_token_ids' must hold token ids (integers >= 0)");
      return;
    }
    out->push_back(int32_t(*v));
  }
}

void read_stream_options(FieldReader& reader, bool stream, StreamOptions* out) {
  const nlohmann::json* options = reader.object("stream_options");
  if (!options) return;
  if (!stream) {
    reader.fail("stream_options", "'stream_options' is only allowed when 'stream' is true");
    return;
  }
  FieldReader sub(*options, "stream_options.");
  if (auto v = sub.boolean("include_usage")) out->include_usage = *v;
  if (auto v = sub.boolean("continuous_usage_stats")) out->continuous_usage_stats = *v;
  if (sub.failed()) reader.fail(sub.error());
}

// {} (what some clients send by default) is the same as no bias.
void read_logit_bias(FieldReader& reader) {
  const nlohmann::json* bias = reader.object("logit_bias");
  if (bias && !bias->empty()) reader.fail("logit_bias", "'logit_bias' is not supported yet");
}

void read_lengths(FieldReader& reader, GenerationParams* out) {
  if (auto v = reader.integer("max_tokens", 1, kInt32Max)) out->max_tokens = int32_t(*v);
  // The newer name wins when a client sends both.
  if (auto v = reader.integer("max_completion_tokens", 1, kInt32Max)) out->max_tokens = int32_t(*v);
  if (auto v = reader.integer("min_tokens", 0, kInt32Max)) out->min_tokens = int32_t(*v);
  if (!reader.failed() && out->max_tokens && out->min_tokens > *out->max_tokens) {
    reader.fail("min_tokens", "'min_tokens' (" + std::to_string(out->min_tokens) +
                                  ") must not exceed 'max_tokens' (" + std::to_string(*out->max_tokens) + ")");
  }
}

void read_sampling(FieldReader& reader, GenerationParams* out) {
  if (auto v = reader.number("temperature", 0.0, 2.0)) out->temperature = float(*v);
  if (auto v = reader.number("top_p", 0.0, 1.0, /*min_exclusive=*/true)) out->top_p = float(*v);
  if (auto v = reader.integer("top_k", -1, kInt32Max)) out->top_k = int32_t(*v);
  if (auto v = reader.number("min_p", 0.0, 1.0)) out->min_p = float(*v);
  if (auto v = reader.number("repetition_penalty", 0.0, kInf, /*min_exclusive=*/true))
    out->repetition_penalty = float(*v);
  if (auto v = reader.number("presence_penalty", -2.0, 2.0)) out->presence_penalty = float(*v);
  if (auto v = reader.number("frequency_penalty", -2.0, 2.0)) out->frequency_penalty = float(*v);
  if (auto v = reader.integer("seed", kInt64Min, kInt64Max)) out->seed = *v;
}

}  // namespace

void read_generation_params(FieldReader& reader, GenerationParams* out) {
  if (auto v = reader.string("model")) out->model = std::move(*v);
  if (!reader.failed() && out->model.empty()) reader.fail("model", "'model' is required");
  read_lengths(reader, out);
  read_stop(reader, &out->stop);
  read_stop_token_ids(reader, &out->stop_token_ids);
  if (auto v = reader.boolean("include_stop_str_in_output")) out->include_stop_str_in_output = *v;
  if (auto v = reader.boolean("ignore_eos")) out->ignore_eos = *v;
  if (auto v = reader.boolean("skip_special_tokens")) out->skip_special_tokens = *v;
  if (auto v = reader.integer("n", 1, 128)) out->n = int32_t(*v);
  read_sampling(reader, out);
  if (auto v = reader.boolean("stream")) out->stream = *v;
  read_stream_options(reader, out->stream, &out->stream_options);
  if (auto v = reader.integer("priority", kInt32Min, kInt32Max)) out->priority = int32_t(*v);
  read_logit_bias(reader);
}

}  // namespace turbine::api
