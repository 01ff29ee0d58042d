// Synthesised workloads (lengths in real tokenizer tokens, shared prefixes, multi-turn) and
// datasets read from JSONL files and traces, with their errors.
#include "loadgen/workload.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <set>

#include "tokenizer/test_tokenizers.h"
#include "tokenizer/tokenizer.h"

namespace turbine::loadgen {
namespace {

std::shared_ptr<const Tokenizer> llama3_tokenizer() {
  const std::string dir = find_test_tokenizer_dir(TURBINE_SOURCE_DIR, "llama3");
  if (dir.empty()) return nullptr;
  auto tok = TextSynthesizer::load_tokenizer(dir);
  return tok.is_ok() ? *tok : nullptr;
}

std::string write_file(const std::string& name, const std::string& text) {
  const auto dir = std::filesystem::temp_directory_path() / ("turbine-loadgen-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const std::string path = (dir / name).string();
  std::ofstream(path) << text;
  return path;
}

TEST(TextSynthesizer, MakesExactlyTheTokensAskedWithATokenizer) {
  auto tok = llama3_tokenizer();
  ASSERT_NE(tok, nullptr) << "the llama3 tokenizer from tests/tools/node_modules (run scripts/setup)";
  TextSynthesizer text(tok);
  Rng rng(3);
  for (int64_t n : {1, 7, 64, 300, 2048}) {
    std::string t = text.text(n, rng);
    const int64_t got = int64_t(tok->encode(t, false, false).size());
    EXPECT_NEAR(double(got), double(n), 1.0) << n << ": " << t.substr(0, 80);
  }
}

TEST(TextSynthesizer, WordEstimateIsCalibratedToLlama3) {
  auto tok = llama3_tokenizer();
  ASSERT_NE(tok, nullptr);
  TextSynthesizer estimate(nullptr);
  Rng rng(5);
  const std::string t = estimate.text(20000, rng);
  const double exact = double(tok->encode(t, false, false).size());
  // Without a tokenizer, asking for 20000 tokens gives 20000 of Llama 3's within 3%.
  EXPECT_NEAR(exact / 20000.0, 1.0, 0.03) << exact;
  EXPECT_NEAR(double(estimate.count_tokens(t)) / exact, 1.0, 0.03);
}

std::unique_ptr<Workload> make(const WorkloadOptions& o, uint64_t seed, uint64_t stream = 0) {
  auto w = Workload::create(o, std::make_shared<const TextSynthesizer>(), seed, stream);
  EXPECT_TRUE(w.is_ok()) << w.status().message();
  return w.is_ok() ? std::move(*w) : nullptr;
}

WorkloadOptions options_for(const std::string& kind) {
  WorkloadOptions o;
  o.kind = kind;
  o.input_len = *Distribution::parse("uniform:20:40", "x");
  o.output_len = *Distribution::parse("uniform:5:9", "x");
  return o;
}

TEST(Workload, RandomSessionsAreOneTurnWithDrawnLengthsAndRepeatBySeed) {
  auto text = std::make_shared<const TextSynthesizer>();
  auto a = make(options_for("random"), 42);
  auto b = make(options_for("random"), 42);
  auto c = make(options_for("random"), 43);
  std::set<std::string> texts;
  for (int i = 0; i < 50; ++i) {
    SessionPlan s = *a->next();
    ASSERT_EQ(s.turns.size(), 1u);
    EXPECT_TRUE(s.system_prompt.empty());
    EXPECT_GE(s.turns[0].input_tokens, 20);
    EXPECT_LE(s.turns[0].input_tokens, 40);
    EXPECT_GE(s.turns[0].max_tokens, 5);
    EXPECT_LE(s.turns[0].max_tokens, 9);
    EXPECT_EQ(s.turns[0].user_text, b->next()->turns[0].user_text);
    EXPECT_NE(s.turns[0].user_text, c->next()->turns[0].user_text);
    texts.insert(s.turns[0].user_text);
  }
  EXPECT_EQ(texts.size(), 50u);  // no two prompts alike: nothing for a prefix cache to find
}

TEST(Workload, SharedPrefixGroupsKeepTheirPrefixAcrossStreams) {
  auto o = options_for("shared-prefix");
  o.prefix_groups = 3;
  o.prefix_len = 100;
  auto text = std::make_shared<const TextSynthesizer>();
  auto measured = make(o, 9, 0);
  auto warmup = make(o, 9, 1);
  std::set<std::string> prefixes, warm_prefixes, questions;
  for (int i = 0; i < 60; ++i) {
    SessionPlan s = *measured->next();
    prefixes.insert(s.system_prompt);
    questions.insert(s.turns[0].user_text);
    warm_prefixes.insert(warmup->next()->system_prompt);
  }
  EXPECT_EQ(prefixes.size(), 3u);
  EXPECT_EQ(prefixes, warm_prefixes);  // a warm-up fills the cache with these very prefixes
  EXPECT_EQ(questions.size(), 60u);
}

TEST(Workload, MultiTurnSessionsHaveTurnsAndThinkTimes) {
  auto o = options_for("multi-turn");
  o.turns = 5;
  o.think_time_ms = *Distribution::parse("uniform:100:200", "x", 0);
  auto w = make(o, 1);
  SessionPlan s = *w->next();
  ASSERT_EQ(s.turns.size(), 5u);
  EXPECT_EQ(s.turns[0].think_time_s, 0.0);
  for (size_t t = 1; t < 5; ++t) {
    EXPECT_GE(s.turns[t].think_time_s, 0.1);
    EXPECT_LE(s.turns[t].think_time_s, 0.2);
  }
}

TEST(Workload, BadOptionsAreErrors) {
  auto text = std::make_shared<const TextSynthesizer>();
  EXPECT_FALSE(Workload::create(options_for("sonnet"), text, 0).is_ok());
  EXPECT_FALSE(Workload::create(options_for("jsonl"), text, 0).is_ok());  // no --dataset
  auto o = options_for("jsonl");
  o.dataset_path = "/nonexistent/file.jsonl";
  auto missing = Workload::create(o, text, 0);
  ASSERT_FALSE(missing.is_ok());
  EXPECT_NE(missing.status().message().find("/nonexistent/file.jsonl"), std::string::npos);
}

TEST(DatasetWorkload, ReadsMessagesPromptsAndLengthsAndCycles) {
  const std::string path = write_file("mixed.jsonl",
      "# a comment\n"
      "{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"max_tokens\":5}\n"
      "\n"
      "{\"prompt\":\"once upon\",\"max_completion_tokens\":6}\n"
      "{\"input_length\":40,\"output_length\":7}\n");
  auto o = options_for("jsonl");
  o.dataset_path = path;
  auto w = make(o, 0);
  EXPECT_FALSE(w->has_timestamps());
  SessionPlan a = *w->next(), b = *w->next(), c = *w->next(), again = *w->next();
  EXPECT_EQ(a.turns[0].messages[0]["content"], "hi");
  EXPECT_EQ(a.turns[0].max_tokens, 5);
  EXPECT_EQ(b.turns[0].user_text, "once upon");
  EXPECT_EQ(b.turns[0].max_tokens, 6);
  EXPECT_EQ(c.turns[0].input_tokens, 40);
  EXPECT_FALSE(c.turns[0].user_text.empty());
  EXPECT_EQ(c.turns[0].max_tokens, 7);
  EXPECT_EQ(again.turns[0].messages, a.turns[0].messages);  // a JSONL file starts over
}

TEST(DatasetWorkload, TraceReplaysTimestampsOnceAndSharesHashIdBlocks) {
  const std::string path = write_file("trace.jsonl",
      "{\"timestamp\":200,\"input_length\":30,\"output_length\":3,\"hash_ids\":[1,2]}\n"
      "{\"timestamp\":0,\"input_length\":30,\"output_length\":3,\"hash_ids\":[1,3]}\n"
      "{\"timestamp\":100,\"input_length\":25,\"output_length\":3,\"hash_ids\":[1,2]}\n");
  auto o = options_for("trace");
  o.dataset_path = path;
  o.trace_block_tokens = 16;
  o.trace_speed = 2.0;
  auto w = make(o, 0);
  EXPECT_TRUE(w->has_timestamps());
  SessionPlan first = *w->next(), second = *w->next(), third = *w->next();
  EXPECT_FALSE(w->next().has_value());  // replayed once
  EXPECT_DOUBLE_EQ(first.start_at_s, 0.0);  // sorted by time, at twice the speed
  EXPECT_DOUBLE_EQ(second.start_at_s, 0.05);
  EXPECT_DOUBLE_EQ(third.start_at_s, 0.1);
  // Block 1 opens all three prompts; [1,2] of 25 tokens and of 30 share block 1 and differ in
  // their last (partial) block.
  auto block_of = [](const std::string& s) {  // the first 10 words: inside a 16-token block
    size_t at = 0;
    for (int w = 0; w < 10; ++w) at = s.find(' ', at + 1);
    return s.substr(0, at);
  };
  EXPECT_EQ(block_of(first.turns[0].user_text), block_of(second.turns[0].user_text));
  EXPECT_EQ(block_of(second.turns[0].user_text), block_of(third.turns[0].user_text));
  EXPECT_NE(first.turns[0].user_text, third.turns[0].user_text);
}

TEST(DatasetWorkload, ErrorsNameTheFileAndLine) {
  struct Case {
    const char* content;
    const char* kind;
    const char* expect;
  };
  const Case cases[] = {
      {"{\"prompt\":\"a\"}\n{not json\n", "jsonl", ":2: not valid JSON"},
      {"[1,2]\n", "jsonl", ":1: expected a JSON object"},
      {"{\"max_tokens\":3}\n", "jsonl", ":1: needs 'messages', 'prompt' or 'input_length'"},
      {"{\"prompt\":\"a\",\"max_tokens\":-1}\n", "jsonl", ":1: 'max_tokens' must be a non-negative integer"},
      {"{\"messages\":[]}\n", "jsonl", ":1: 'messages' must be a non-empty array"},
      {"{\"messages\":[{\"content\":\"x\"}]}\n", "jsonl", ":1: each message must be an object with a 'role'"},
      {"{\"input_length\":5,\"hash_ids\":[\"a\"]}\n", "jsonl", ":1: 'hash_ids' must be an array of integers"},
      {"{\"prompt\":\"a\"}\n", "trace", ":1: --workload trace needs a 'timestamp'"},
      {"# only a comment\n", "jsonl", ": no requests in the dataset"},
  };
  int i = 0;
  for (const Case& c : cases) {
    auto o = options_for(c.kind);
    o.dataset_path = write_file("bad" + std::to_string(i++) + ".jsonl", c.content);
    auto w = Workload::create(o, std::make_shared<const TextSynthesizer>(), 0);
    ASSERT_FALSE(w.is_ok()) << c.content;
    EXPECT_NE(w.status().message().find(o.dataset_path + c.expect), std::string::npos)
        << w.status().message() << " / expected " << c.expect;
  }
}

}  // namespace
}  // namespace turbine::loadgen
