#include "loadgen/workload.h"

#include "loadgen/dataset_workload.h"

namespace turbine::loadgen {

namespace {

// random, shared-prefix and multi-turn: endless, every text made up from `seed`.
class SyntheticWorkload final : public Workload {
 public:
  SyntheticWorkload(const WorkloadOptions& options, std::shared_ptr<const TextSynthesizer> text,
                    uint64_t seed, uint64_t stream)
      : options_(options), text_(std::move(text)), rng_(seed ^ (stream * 0xBF58476D1CE4E5B9ull)) {
    if (options_.kind == "shared-prefix") {
      // Each group's prefix comes from its own generator, seeded by `seed` alone.
      for (int64_t g = 0; g < options_.prefix_groups; ++g) {
        Rng group_rng(seed * 0x9E3779B97F4A7C15ull + uint64_t(g) + 1);
        prefixes_.push_back(text_->text(options_.prefix_len, group_rng));
      }
    }
  }

  std::optional<SessionPlan> next() override {
    SessionPlan plan;
    if (!prefixes_.empty()) {
      std::uniform_int_distribution<size_t> pick(0, prefixes_.size() - 1);
      plan.system_prompt = prefixes_[pick(rng_)];
    }
    const int64_t num_turns = options_.kind == "multi-turn" ? options_.turns : 1;
    for (int64_t t = 0; t < num_turns; ++t) {
      TurnPlan turn;
      turn.input_tokens = options_.input_len.sample(rng_);
      turn.user_text = text_->text(turn.input_tokens, rng_);
      turn.max_tokens = options_.output_len.sample(rng_);
      if (t > 0) turn.think_time_s = double(options_.think_time_ms.sample(rng_)) / 1000.0;
      plan.turns.push_back(std::move(turn));
    }
    return plan;
  }

 private:
  WorkloadOptions options_;
  std::shared_ptr<const TextSynthesizer> text_;
  Rng rng_;
  std::vector<std::string> prefixes_;
};

}  // namespace

Result<std::unique_ptr<Workload>> Workload::create(const WorkloadOptions& options,
                                                   std::shared_ptr<const TextSynthesizer> text,
                                                   uint64_t seed, uint64_t stream) {
  const std::string& kind = options.kind;
  if (kind == "random" || kind == "shared-prefix" || kind == "multi-turn") {
    if (kind == "shared-prefix" && (options.prefix_groups < 1 || options.prefix_len < 1))
      return invalid_argument("shared-prefix needs --prefix-groups and --prefix-len of at least 1");
    if (kind == "multi-turn" && options.turns < 1)
      return invalid_argument("multi-turn needs --turns of at least 1");
    return std::unique_ptr<Workload>(new SyntheticWorkload(options, std::move(text), seed, stream));
  }
  if (kind == "jsonl" || kind == "trace") {
    if (options.dataset_path.empty()) return invalid_argument("--workload " + kind + " needs --dataset FILE");
    TB_ASSIGN_OR_RETURN(auto workload, load_dataset_workload(options, std::move(text), seed, stream));
    return std::unique_ptr<Workload>(std::move(workload));
  }
  return invalid_argument("--workload '" + kind + "': expected one of " + kWorkloadKinds);
}

}  // namespace turbine::loadgen
