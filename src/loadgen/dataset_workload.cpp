#include "loadgen/dataset_workload.h"

#include <algorithm>
#include <fstream>

namespace turbine::loadgen {

namespace {

class DatasetWorkload final : public Workload {
 public:
  DatasetWorkload(std::vector<SessionPlan> sessions, bool replay)
      : sessions_(std::move(sessions)), replay_(replay) {}

  std::optional<SessionPlan> next() override {
    if (next_ == sessions_.size()) {
      if (replay_) return std::nullopt;  // a trace is replayed once
      next_ = 0;
    }
    return sessions_[next_++];
  }
  bool has_timestamps() const override { return replay_; }

 private:
  std::vector<SessionPlan> sessions_;
  bool replay_;
  size_t next_ = 0;
};

// Text for a trace line's hash ids: each id stands for one block of `block_tokens` tokens whose
// text depends only on the id (and the run's seed), so equal ids give equal prefixes.
std::string text_for_hash_ids(const TextSynthesizer& text, const std::vector<int64_t>& ids,
                              int64_t input_length, int64_t block_tokens, uint64_t seed, Rng& rng) {
  std::string out;
  int64_t left = input_length;
  for (int64_t id : ids) {
    if (left <= 0) break;
    const int64_t n = std::min(left, block_tokens);
    Rng block_rng(seed ^ (uint64_t(id) * 0xD6E8FEB86659FD93ull + uint64_t(n)));
    if (!out.empty()) out += ' ';
    out += text.text(n, block_rng);
    left -= n;
  }
  if (left > 0) {  // longer than its blocks: the rest is this line's own
    if (!out.empty()) out += ' ';
    out += text.text(left, rng);
  }
  return out;
}

Result<int64_t> read_count(const nlohmann::json& j, const char* key, const std::string& where) {
  const auto& v = j.at(key);
  if (!v.is_number_integer() || v.get<int64_t>() < 0)
    return invalid_argument(where + ": '" + key + "' must be a non-negative integer");
  return v.get<int64_t>();
}

// One line to a session. `where` is "FILE:LINE".
Result<SessionPlan> parse_line(const nlohmann::json& j, const WorkloadOptions& options,
                               const TextSynthesizer& text, uint64_t seed, Rng& rng,
                               const std::string& where) {
  if (!j.is_object()) return invalid_argument(where + ": expected a JSON object");
  SessionPlan session;
  TurnPlan turn;
  for (const char* key : {"max_tokens", "max_completion_tokens", "output_length"}) {
    if (j.contains(key)) {
      TB_ASSIGN_OR_RETURN(turn.max_tokens, read_count(j, key, where));
    }
  }
  if (j.contains("messages")) {
    const auto& m = j["messages"];
    if (!m.is_array() || m.empty()) return invalid_argument(where + ": 'messages' must be a non-empty array");
    for (const auto& message : m) {
      if (!message.is_object() || !message.contains("role"))
        return invalid_argument(where + ": each message must be an object with a 'role'");
    }
    turn.messages = m;
  } else if (j.contains("prompt")) {
    if (!j["prompt"].is_string()) return invalid_argument(where + ": 'prompt' must be a string");
    turn.user_text = j["prompt"].get<std::string>();
  } else if (j.contains("input_length")) {
    TB_ASSIGN_OR_RETURN(turn.input_tokens, read_count(j, "input_length", where));
    std::vector<int64_t> ids;
    if (j.contains("hash_ids")) {
      const auto& h = j["hash_ids"];
      if (!h.is_array()) return invalid_argument(where + ": 'hash_ids' must be an array of integers");
      for (const auto& id : h) {
        if (!id.is_number_integer()) return invalid_argument(where + ": 'hash_ids' must be an array of integers");
        ids.push_back(id.get<int64_t>());
      }
    }
    turn.user_text = text_for_hash_ids(text, ids, turn.input_tokens, options.trace_block_tokens, seed, rng);
  } else {
    return invalid_argument(where + ": needs 'messages', 'prompt' or 'input_length'");
  }
  if (options.kind == "trace") {
    if (!j.contains("timestamp") || !j["timestamp"].is_number() || j["timestamp"].get<double>() < 0)
      return invalid_argument(where + ": --workload trace needs a 'timestamp' (milliseconds, >= 0) on every line");
    session.start_at_s = j["timestamp"].get<double>() / 1000.0 / options.trace_speed;
  }
  session.turns.push_back(std::move(turn));
  return session;
}

}  // namespace

Result<std::unique_ptr<Workload>> load_dataset_workload(const WorkloadOptions& options,
                                                        std::shared_ptr<const TextSynthesizer> text,
                                                        uint64_t seed, uint64_t stream) {
  const std::string& path = options.dataset_path;
  if (!(options.trace_speed > 0)) return invalid_argument("--trace-speed must be above 0");
  std::ifstream in(path);
  if (!in) return not_found(path + ": cannot open the dataset");
  std::vector<SessionPlan> sessions;
  Rng rng(seed ^ (stream * 0xBF58476D1CE4E5B9ull));  // text of lines without hash ids
  std::string line;
  for (int64_t line_number = 1; std::getline(in, line); ++line_number) {
    if (line.find_first_not_of(" \t\r") == std::string::npos || line[0] == '#') continue;
    const std::string where = path + ":" + std::to_string(line_number);
    nlohmann::json j = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
    if (j.is_discarded()) return invalid_argument(where + ": not valid JSON");
    TB_ASSIGN_OR_RETURN(SessionPlan session, parse_line(j, options, *text, seed, rng, where));
    sessions.push_back(std::move(session));
  }
  if (in.bad()) return io_error(path + ": read error");
  if (sessions.empty()) return invalid_argument(path + ": no requests in the dataset");
  if (options.kind == "trace") {
    std::stable_sort(sessions.begin(), sessions.end(), [](const SessionPlan& a, const SessionPlan& b) {
      return a.start_at_s < b.start_at_s;
    });
    // Times count from the first line, so a trace stamped in epoch time starts at once.
    const double first = sessions.front().start_at_s;
    for (SessionPlan& session : sessions) session.start_at_s -= first;
  }
  return std::unique_ptr<Workload>(new DatasetWorkload(std::move(sessions), options.kind == "trace"));
}

}  // namespace turbine::loadgen
