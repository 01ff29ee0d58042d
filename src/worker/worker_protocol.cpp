#include "worker/worker_protocol.h"

#include <nlohmann/json.hpp>

namespace turbine {

using nlohmann::json;

namespace {

// Parses `text` as a JSON object; errors say what was being read.
Result<json> parse_object(std::string_view text, const char* what) {
  json j = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return invalid_argument(std::string(what) + ": not valid JSON");
  if (!j.is_object()) return invalid_argument(std::string(what) + ": not a JSON object");
  return j;
}

// Runs `fn` (which reads fields with nlohmann's checked accessors) and turns a type error into
// a Status naming the message: decoding never throws past this file.
template <typename T, typename Fn>
Result<T> decode(std::string_view text, const char* what, Fn&& fn) {
  auto j = parse_object(text, what);
  if (!j) return j.status();
  try {
    return fn(*j);
  } catch (const json::exception& e) {
    return invalid_argument(std::string(what) + ": " + e.what());
  }
}

FinishReason finish_reason_from(const std::string& s) {
  if (s == "stop") return FinishReason::kStop;
  if (s == "length") return FinishReason::kLength;
  if (s == "abort") return FinishReason::kAbort;
  if (s == "error") return FinishReason::kError;
  return FinishReason::kNone;
}

json logprob_json(const TokenLogprob& t) {
  json top = json::array();
  for (const auto& [id, lp] : t.top) top.push_back({id, lp});
  return {t.token, t.logprob, std::move(top)};
}

TokenLogprob logprob_from(const json& j) {
  TokenLogprob t;
  t.token = j.at(0).get<int32_t>();
  t.logprob = j.at(1).get<float>();
  for (const auto& e : j.at(2)) t.top.emplace_back(e.at(0).get<int32_t>(), e.at(1).get<float>());
  return t;
}

}  // namespace

std::string encode_worker_info(const WorkerInfo& i) {
  return json{{"id", i.id},
              {"model", i.model},
              {"version", i.version},
              {"address", i.address},
              {"model_path", i.model_path},
              {"kind", i.kind},
              {"capacity", i.capacity},
              {"block_size", i.block_size},
              {"max_model_len", i.max_model_len}}
      .dump();
}

Result<WorkerInfo> decode_worker_info(std::string_view text) {
  return decode<WorkerInfo>(text, "worker registration", [](const json& j) -> Result<WorkerInfo> {
    WorkerInfo i;
    i.id = j.at("id").get<std::string>();
    i.model = j.at("model").get<std::string>();
    i.version = j.value("version", "");
    i.address = j.at("address").get<std::string>();
    i.model_path = j.value("model_path", "");
    i.kind = j.value("kind", "engine");
    i.capacity = j.value("capacity", 0);
    i.block_size = j.value("block_size", 16);
    i.max_model_len = j.value("max_model_len", int64_t(0));
    if (i.id.empty() || i.model.empty() || i.address.empty())
      return invalid_argument("worker registration: id, model and address must not be empty");
    if (i.block_size < 0) return invalid_argument("worker registration: block_size must be >= 0");
    return i;
  });
}

std::string encode_worker_request(const WorkerRequest& r) {
  const GenerationParams& p = r.params;
  const SamplingParams& s = p.sampling;
  json sampling{{"temperature", s.temperature},
                {"top_k", s.top_k},
                {"top_p", s.top_p},
                {"min_p", s.min_p},
                {"repetition_penalty", s.repetition_penalty},
                {"presence_penalty", s.presence_penalty},
                {"frequency_penalty", s.frequency_penalty}};
  if (s.seed) sampling["seed"] = *s.seed;
  json params{{"sampling", std::move(sampling)},
              {"max_tokens", p.max_tokens},
              {"min_tokens", p.min_tokens},
              {"ignore_eos", p.ignore_eos},
              {"stop_token_ids", p.stop_token_ids},
              {"logprobs", p.logprobs},
              {"prompt_logprobs", p.prompt_logprobs},
              {"n", p.n},
              {"priority", p.priority}};
  return json{{"prompt", r.prompt}, {"params", std::move(params)}}.dump();
}

Result<WorkerRequest> decode_worker_request(std::string_view text) {
  return decode<WorkerRequest>(text, "generate request", [](const json& j) -> Result<WorkerRequest> {
    WorkerRequest r;
    r.prompt = j.at("prompt").get<std::vector<int32_t>>();
    const json& p = j.at("params");
    GenerationParams& g = r.params;
    g.max_tokens = p.value("max_tokens", g.max_tokens);
    g.min_tokens = p.value("min_tokens", g.min_tokens);
    g.ignore_eos = p.value("ignore_eos", g.ignore_eos);
    g.stop_token_ids = p.value("stop_token_ids", g.stop_token_ids);
    g.logprobs = p.value("logprobs", g.logprobs);
    g.prompt_logprobs = p.value("prompt_logprobs", g.prompt_logprobs);
    g.n = p.value("n", g.n);
    g.priority = p.value("priority", g.priority);
    if (p.contains("sampling")) {
      const json& s = p.at("sampling");
      SamplingParams& sp = g.sampling;
      sp.temperature = s.value("temperature", sp.temperature);
      sp.top_k = s.value("top_k", sp.top_k);
      sp.top_p = s.value("top_p", sp.top_p);
      sp.min_p = s.value("min_p", sp.min_p);
      sp.repetition_penalty = s.value("repetition_penalty", sp.repetition_penalty);
      sp.presence_penalty = s.value("presence_penalty", sp.presence_penalty);
      sp.frequency_penalty = s.value("frequency_penalty", sp.frequency_penalty);
      if (s.contains("seed")) sp.seed = s.at("seed").get<uint64_t>();
    }
    if (g.n < 1 || g.n > 128) return invalid_argument("generate request: n must be in [1, 128]");
    return r;
  });
}

std::string encode_output_line(const RequestOutput& o) {
  json j{{"index", o.index}};
  bool with_logprobs = false;
  json ids = json::array();
  for (const TokenLogprob& t : o.tokens) {
    ids.push_back(t.token);
    with_logprobs = with_logprobs || t.logprob != 0.0f || !t.top.empty();
  }
  if (!o.tokens.empty()) j["tokens"] = std::move(ids);
  if (with_logprobs) {
    json lps = json::array();
    for (const TokenLogprob& t : o.tokens) lps.push_back(logprob_json(t));
    j["logprobs"] = std::move(lps);
  }
  if (o.finish_reason != FinishReason::kNone) j["finish"] = finish_reason_name(o.finish_reason);
  if (o.stopped_on_token) j["stopped_on_token"] = true;
  if (!o.error.empty()) j["error"] = o.error;
  if (o.error_code != ErrorCode::kOk) j["code"] = int(o.error_code);
  if (!o.text.empty()) j["text"] = o.text;
  if (o.num_prompt_tokens) j["num_prompt_tokens"] = o.num_prompt_tokens;
  if (o.num_cached_tokens) j["num_cached_tokens"] = o.num_cached_tokens;
  if (o.queue_seconds != 0.0) j["queue_seconds"] = o.queue_seconds;
  if (!o.prompt_logprobs.empty()) {
    json lps = json::array();
    for (const TokenLogprob& t : o.prompt_logprobs) lps.push_back(logprob_json(t));
    j["prompt_logprobs"] = std::move(lps);
  }
  std::string line = j.dump();
  line += '\n';
  return line;
}

Result<RequestOutput> decode_output_line(std::string_view line) {
  return decode<RequestOutput>(line, "worker output", [](const json& j) -> Result<RequestOutput> {
    RequestOutput o;
    o.index = j.value("index", 0);
    if (j.contains("logprobs")) {
      for (const json& t : j.at("logprobs")) o.tokens.push_back(logprob_from(t));
    } else if (j.contains("tokens")) {
      for (const json& t : j.at("tokens")) o.tokens.push_back({t.get<int32_t>(), 0.0f, {}});
    }
    o.finish_reason = finish_reason_from(j.value("finish", ""));
    o.stopped_on_token = j.value("stopped_on_token", false);
    o.error = j.value("error", "");
    const int code = j.value("code", 0);
    if (code < 0 || code > int(ErrorCode::kInternal)) return invalid_argument("worker output: bad error code");
    o.error_code = ErrorCode(code);
    o.text = j.value("text", "");
    o.num_prompt_tokens = j.value("num_prompt_tokens", int64_t(0));
    o.num_cached_tokens = j.value("num_cached_tokens", int64_t(0));
    o.queue_seconds = j.value("queue_seconds", 0.0);
    if (j.contains("prompt_logprobs"))
      for (const json& t : j.at("prompt_logprobs")) o.prompt_logprobs.push_back(logprob_from(t));
    return o;
  });
}

std::string encode_load(const WorkerLoad& l) {
  return json{{"num_running", l.num_running}, {"num_waiting", l.num_waiting}, {"kv_cache_usage", l.kv_cache_usage}}
      .dump();
}

namespace {
WorkerLoad load_from(const json& j) {
  WorkerLoad l;
  l.num_running = j.value("num_running", int64_t(0));
  l.num_waiting = j.value("num_waiting", int64_t(0));
  l.kv_cache_usage = j.value("kv_cache_usage", 0.0);
  return l;
}
}  // namespace

Result<WorkerLoad> decode_load(std::string_view text) {
  return decode<WorkerLoad>(text, "worker load", [](const json& j) -> Result<WorkerLoad> { return load_from(j); });
}

std::string encode_kv_event_lines(const std::vector<KvEvent>& events) {
  std::string out;
  for (size_t i = 0; i < events.size();) {
    const KvEvent::Kind kind = events[i].kind;
    WorkerEvent e;
    e.kind = kind == KvEvent::Kind::kStored ? WorkerEvent::Kind::kStored : WorkerEvent::Kind::kRemoved;
    while (i < events.size() && events[i].kind == kind) e.hashes.push_back(events[i++].hash);
    out += encode_event_line(e);
  }
  return out;
}

std::string encode_event_line(const WorkerEvent& e) {
  json j;
  switch (e.kind) {
    case WorkerEvent::Kind::kReset: j = {{"reset", true}}; break;
    case WorkerEvent::Kind::kStored: j = {{"stored", e.hashes}}; break;
    case WorkerEvent::Kind::kRemoved: j = {{"removed", e.hashes}}; break;
    case WorkerEvent::Kind::kLoad: j = {{"load", json::parse(encode_load(e.load))}}; break;
  }
  std::string line = j.dump();
  line += '\n';
  return line;
}

Result<WorkerEvent> decode_event_line(std::string_view line) {
  return decode<WorkerEvent>(line, "worker event", [](const json& j) -> Result<WorkerEvent> {
    WorkerEvent e;
    if (j.contains("reset")) {
      e.kind = WorkerEvent::Kind::kReset;
    } else if (j.contains("stored")) {
      e.kind = WorkerEvent::Kind::kStored;
      e.hashes = j.at("stored").get<std::vector<uint64_t>>();
    } else if (j.contains("removed")) {
      e.kind = WorkerEvent::Kind::kRemoved;
      e.hashes = j.at("removed").get<std::vector<uint64_t>>();
    } else if (j.contains("load")) {
      e.kind = WorkerEvent::Kind::kLoad;
      e.load = load_from(j.at("load"));
    } else {
      return invalid_argument("worker event: none of reset, stored, removed, load");
    }
    return e;
  });
}

}  // namespace turbine
