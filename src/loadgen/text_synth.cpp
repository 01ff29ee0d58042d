#include "loadgen/text_synth.h"

#include <iterator>
#include <cmath>
#include <filesystem>

#include "model/gguf.h"
#include "tokenizer/tokenizer.h"

namespace turbine::loadgen {

namespace {

// Common English words, a mix of parts of speech, so sentences tokenize like ordinary prose.
constexpr std::string_view kWords[] = {
    "the", "of", "and", "to", "in", "is", "that", "for", "it", "as", "was", "with", "be", "by",
    "on", "not", "he", "this", "are", "or", "his", "from", "at", "which", "but", "have", "an",
    "had", "they", "you", "were", "their", "one", "all", "we", "can", "her", "has", "there",
    "been", "if", "more", "when", "will", "would", "who", "so", "no", "she", "other", "its",
    "may", "these", "what", "them", "than", "some", "him", "time", "into", "only", "do", "such",
    "new", "about", "two", "many", "then", "could", "first", "any", "very", "those", "over",
    "like", "our", "where", "most", "after", "should", "also", "did", "through", "great", "well",
    "people", "each", "state", "between", "under", "because", "world", "water", "long", "before",
    "own", "same", "day", "life", "work", "system", "year", "house", "while", "might", "place",
    "small", "large", "number", "part", "country", "city", "light", "river", "mountain", "road",
    "school", "study", "market", "history", "science", "engine", "garden", "window", "morning",
    "evening", "winter", "summer", "village", "harbor", "machine", "question", "answer", "story",
    "letter", "music", "energy", "family", "friend", "teacher", "student", "doctor", "farmer",
    "writer", "captain", "island", "forest", "valley", "bridge", "station", "library", "kitchen",
    "voice", "reason", "method", "result", "problem", "season", "journey", "signal", "pattern",
    "measure", "moment", "history", "surface", "distance", "weather", "language", "picture",
    "building", "network", "report", "record", "paper", "table", "stone", "glass", "metal",
    "iron", "silver", "cotton", "bread", "coffee", "salt", "sugar", "animal", "horse", "bird",
    "fish", "tree", "flower", "seed", "field", "hill", "lake", "ocean", "wind", "rain", "snow",
    "cloud", "fire", "heat", "color", "sound", "power", "order", "change", "point", "line",
    "plan", "idea", "rule", "law", "price", "value", "cost", "trade", "money", "office", "court",
    "party", "army", "ship", "train", "car", "wheel", "door", "wall", "floor", "roof", "street",
    "make", "take", "give", "find", "keep", "show", "hold", "bring", "carry", "build", "follow",
    "write", "read", "learn", "grow", "open", "close", "begin", "stand", "turn", "move", "live",
    "believe", "remember", "consider", "explain", "describe", "measure", "compare", "travel",
    "happen", "appear", "remain", "reach", "watch", "speak", "listen", "answer", "decide",
    "good", "old", "high", "little", "different", "important", "early", "young", "public",
    "private", "simple", "clear", "common", "strong", "quiet", "bright", "dark", "warm", "cold",
    "deep", "narrow", "wide", "heavy", "careful", "ancient", "modern", "northern", "southern",
    "quickly", "slowly", "often", "never", "always", "already", "together", "almost", "perhaps",
    "however", "finally", "nearly", "rather", "still", "again", "once", "soon", "later", "here",
    "every", "several", "another", "both", "few", "much", "whole", "across", "along", "around",
    "behind", "beyond", "during", "without", "within", "against", "toward", "upon", "among",
    "above", "below", "near", "since", "until", "though", "whether", "although", "unless",
    "yet", "how", "why", "our", "your", "my", "us", "me", "it", "they", "we", "two", "three",
    "four", "five", "ten", "hundred"};

}  // namespace

TextSynthesizer::TextSynthesizer(std::shared_ptr<const Tokenizer> tokenizer)
    : tokenizer_(std::move(tokenizer)) {}

Result<std::shared_ptr<const Tokenizer>> TextSynthesizer::load_tokenizer(const std::string& path) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (fs::is_directory(path, ec)) {
    const std::string config = path + "/tokenizer_config.json";
    return Tokenizer::from_tokenizer_json(path + "/tokenizer.json",
                                          fs::exists(config, ec) ? config : std::string());
  }
  if (path.size() >= 5 && path.compare(path.size() - 5, 5, ".gguf") == 0) {
    TB_ASSIGN_OR_RETURN(auto gguf, GgufFile::open(path));
    return Tokenizer::from_gguf(*gguf);
  }
  const fs::path config = fs::path(path).parent_path() / "tokenizer_config.json";
  return Tokenizer::from_tokenizer_json(path, fs::exists(config, ec) ? config.string() : std::string());
}

std::string TextSynthesizer::words(int64_t num_words, Rng& rng) const {
  std::string out;
  out.reserve(size_t(num_words) * 7);
  std::uniform_int_distribution<size_t> pick(0, std::size(kWords) - 1);
  std::uniform_int_distribution<int> sentence_len(6, 18);
  int left_in_sentence = 0;
  for (int64_t i = 0; i < num_words; ++i) {
    std::string_view word = kWords[pick(rng)];
    if (!out.empty()) out += ' ';
    if (left_in_sentence == 0) {  // a new sentence starts with a capital
      left_in_sentence = sentence_len(rng);
      out += static_cast<char>(word[0] - 'a' + 'A');
      out.append(word.substr(1));
    } else {
      out.append(word);
    }
    if (--left_in_sentence == 0 || i + 1 == num_words) {
      out += '.';
      left_in_sentence = 0;
    } else if (left_in_sentence % 7 == 3 && pick(rng) % 3 == 0) {
      out += ',';
    }
  }
  return out;
}

std::string TextSynthesizer::text(int64_t num_tokens, Rng& rng) const {
  if (num_tokens <= 0) return {};
  if (!tokenizer_) {
    return words(std::max<int64_t>(1, std::llround(double(num_tokens) / kTokensPerWord)), rng);
  }
  // Enough words for the tokens, then cut at exactly num_tokens tokens.
  std::string draft = words(int64_t(double(num_tokens) / kTokensPerWord * 1.25) + 4, rng);
  std::vector<int32_t> ids = tokenizer_->encode(draft, /*add_bos=*/false, /*parse_special=*/false);
  while (int64_t(ids.size()) < num_tokens) {  // rare: this text ran short
    draft += ' ';
    draft += words(num_tokens, rng);
    ids = tokenizer_->encode(draft, false, false);
  }
  ids.resize(size_t(num_tokens));
  return tokenizer_->decode(ids);
}

int64_t TextSynthesizer::count_tokens(std::string_view text) const {
  if (tokenizer_) return int64_t(tokenizer_->encode(text, false, false).size());
  int64_t num_words = 0;
  bool in_word = false;
  for (char c : text) {
    const bool space = c == ' ' || c == '\n' || c == '\t' || c == '\r';
    if (!space && !in_word) ++num_words;
    in_word = !space;
  }
  return std::llround(double(num_words) * kTokensPerWord);
}

}  // namespace turbine::loadgen
