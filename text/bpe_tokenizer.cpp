#include "text/bpe_tokenizer.h"

#include <cstdint>
#include <map>
#include <queue>
#include <set>
#include <stdexcept>

#include "core/error.h"
#include "text/caption_words.h"

namespace vedkit {
namespace {

const std::string kWordStart = "\xE2\x96\x81";  // "▁"

std::vector<std::string> utf8_characters(const std::string& text) {
  std::vector<std::string> characters;
  for (const char c : text) {
    const bool continues = (static_cast<unsigned char>(c) & 0xC0) == 0x80;
    if (continues && !characters.empty()) {
      characters.back() += c;
    } else {
      characters.emplace_back(1, c);
    }
  }
  return characters;
}

// A word as the symbols that merging starts from.
std::vector<std::string> word_symbols(const std::string& word) {
  auto symbols = utf8_characters(word);
  symbols.insert(symbols.begin(), kWordStart);
  return symbols;
}

// Replaces every (left, right) in symbols by merged, scanning left to right.
template <typename Symbol>
void merge_pair(std::vector<Symbol>& symbols, const Symbol& left, const Symbol& right,
                const Symbol& merged) {
  std::vector<Symbol> out;
  for (size_t i = 0; i < symbols.size(); ++i) {
    if (i + 1 < symbols.size() && symbols[i] == left && symbols[i + 1] == right) {
      out.push_back(merged);
      ++i;
    } else {
      out.push_back(symbols[i]);
    }
  }
  symbols = std::move(out);
}

// Training: the distinct words with their counts, symbols as ids into the learnt pieces.
struct TrainingWord {
  std::vector<int32_t> symbols;
  int64_t count = 0;
};

using PairKey = uint64_t;
PairKey pair_key(int32_t left, int32_t right) {
  return static_cast<PairKey>(left) << 32 | static_cast<uint32_t>(right);
}

// Most frequent first; ties go to the pair of earlier pieces, so training is deterministic.
struct Candidate {
  int64_t count;
  int32_t left, right;
  bool operator<(const Candidate& other) const {
    if (count != other.count) return count < other.count;
    return std::make_pair(left, right) > std::make_pair(other.left, other.right);
  }
};

class PairCounts {
 public:
  void add(const TrainingWord& word, int64_t sign) {
    for (size_t i = 0; i + 1 < word.symbols.size(); ++i) {
      const auto key = pair_key(word.symbols[i], word.symbols[i + 1]);
      counts_[key] += sign * word.count;
      changed_.insert(key);
    }
  }
  // Queues the pairs whose counts changed; outdated queue entries are dropped when popped.
  void queue_changed() {
    for (const auto key : changed_) {
      queue_.push({counts_[key], static_cast<int32_t>(key >> 32), static_cast<int32_t>(key)});
    }
    changed_.clear();
  }
  bool most_frequent(Candidate& best) {
    while (!queue_.empty() &&
           queue_.top().count != counts_[pair_key(queue_.top().left, queue_.top().right)]) {
      queue_.pop();
    }
    if (queue_.empty()) return false;
    best = queue_.top();
    return true;
  }

 private:
  std::unordered_map<PairKey, int64_t> counts_;
  std::set<PairKey> changed_;
  std::priority_queue<Candidate> queue_;
};

std::pair<std::vector<std::string>, std::vector<BpeTokenizer::Merge>> learn_bpe(
    const std::vector<std::string>& captions, int64_t vocab_size) {
  std::map<std::string, int64_t> word_counts;
  for (const auto& caption : captions) {
    for (const auto& word : caption_words(caption)) ++word_counts[word];
  }
  std::set<std::string> characters = {kWordStart};
  for (const auto& entry : word_counts) {
    for (const auto& character : utf8_characters(entry.first)) characters.insert(character);
  }
  const std::vector<std::string> alphabet(characters.begin(), characters.end());
  const auto specials = static_cast<int64_t>(Tokenizer::special_tokens().size());
  if (specials + static_cast<int64_t>(alphabet.size()) > vocab_size) {
    throw ConfigError("tokenizer.vocab_size: " + std::to_string(vocab_size) + " is less than the " +
                      std::to_string(specials) + " special tokens and the " +
                      std::to_string(alphabet.size()) +
                      " characters of the training captions; raise it");
  }
  std::vector<std::string> pieces = alphabet;
  std::unordered_map<std::string, int32_t> piece_ids;
  for (const auto& piece : pieces) piece_ids.emplace(piece, static_cast<int32_t>(piece_ids.size()));

  std::vector<TrainingWord> words;
  PairCounts pairs;
  for (const auto& [word, count] : word_counts) {
    auto& training_word = words.emplace_back();
    training_word.count = count;
    for (const auto& symbol : word_symbols(word))
      training_word.symbols.push_back(piece_ids.at(symbol));
    pairs.add(training_word, +1);
  }
  pairs.queue_changed();

  std::vector<BpeTokenizer::Merge> merges;
  Candidate best{};
  while (specials + static_cast<int64_t>(pieces.size()) < vocab_size && pairs.most_frequent(best) &&
         best.count >= 2) {
    const std::string merged_text = pieces[best.left] + pieces[best.right];
    merges.emplace_back(pieces[best.left], pieces[best.right]);
    const auto [found, added] = piece_ids.emplace(merged_text, static_cast<int32_t>(pieces.size()));
    if (added) pieces.push_back(merged_text);
    for (auto& word : words) {
      const auto& s = word.symbols;
      bool holds_pair = false;
      for (size_t i = 0; i + 1 < s.size() && !holds_pair; ++i) {
        holds_pair = s[i] == best.left && s[i + 1] == best.right;
      }
      if (!holds_pair) continue;
      pairs.add(word, -1);
      merge_pair(word.symbols, best.left, best.right, found->second);
      pairs.add(word, +1);
    }
    pairs.queue_changed();
  }
  return {alphabet, merges};
}

}  // namespace

BpeTokenizer BpeTokenizer::train(const std::vector<std::string>& captions, int64_t vocab_size) {
  auto [alphabet, merges] = learn_bpe(captions, vocab_size);
  return BpeTokenizer(std::move(alphabet), std::move(merges));
}

BpeTokenizer BpeTokenizer::from_vocabulary(const std::vector<std::string>& vocabulary) {
  if (vocabulary.empty() || vocabulary[0] != kMarker) {
    throw ModelFileError(std::string("a BPE vocabulary starts with ") + kMarker);
  }
  std::vector<std::string> alphabet;
  std::vector<Merge> merges;
  for (size_t i = 1; i < vocabulary.size(); ++i) {
    const auto& entry = vocabulary[i];
    const auto space = entry.find(' ');
    if (space == std::string::npos && merges.empty()) {
      alphabet.push_back(entry);
    } else if (space != std::string::npos && space > 0 && space + 1 < entry.size() &&
               entry.find(' ', space + 1) == std::string::npos) {
      merges.emplace_back(entry.substr(0, space), entry.substr(space + 1));
    } else {
      throw ModelFileError("BPE vocabulary entry " + std::to_string(i) + " ('" + entry +
                           "') is neither a character before the merges nor a merge 'left right'");
    }
  }
  return BpeTokenizer(std::move(alphabet), std::move(merges));
}

BpeTokenizer::BpeTokenizer(std::vector<std::string> alphabet, std::vector<Merge> merges)
    : alphabet_(std::move(alphabet)), merges_(std::move(merges)), pieces_(special_tokens()) {
  for (size_t id = 0; id < pieces_.size(); ++id) ids_.emplace(pieces_[id], id);
  const auto add = [this](const std::string& piece) {
    if (ids_.emplace(piece, static_cast<int64_t>(pieces_.size())).second) pieces_.push_back(piece);
  };
  for (const auto& character : alphabet_) {
    if (character.empty() || ids_.count(character)) {
      throw ModelFileError("the BPE alphabet holds '" + character + "' twice or an empty entry");
    }
    add(character);
  }
  for (size_t rank = 0; rank < merges_.size(); ++rank) {
    const auto& [left, right] = merges_[rank];
    if (!ids_.count(left) || !ids_.count(right)) {
      throw ModelFileError("the BPE merge '" + left + " " + right +
                           "' joins a piece that no earlier entry made");
    }
    merge_ranks_.emplace(left + " " + right, rank);
    add(left + right);
  }
}

std::vector<std::string> BpeTokenizer::pieces(const std::string& caption) const {
  std::vector<std::string> out;
  for (const auto& word : caption_words(caption)) {
    auto symbols = word_symbols(word);
    while (symbols.size() > 1) {
      size_t best = 0, best_rank = merges_.size();
      for (size_t i = 0; i + 1 < symbols.size(); ++i) {
        const auto found = merge_ranks_.find(symbols[i] + " " + symbols[i + 1]);
        if (found != merge_ranks_.end() && found->second < best_rank) {
          best = i;
          best_rank = found->second;
        }
      }
      if (best_rank == merges_.size()) break;
      const std::string left = symbols[best], right = symbols[best + 1];
      merge_pair(symbols, left, right, left + right);
    }
    out.insert(out.end(), symbols.begin(), symbols.end());
  }
  return out;
}

std::vector<int64_t> BpeTokenizer::encode(const std::string& caption) const {
  std::vector<int64_t> ids;
  for (const auto& piece : pieces(caption)) {
    const auto found = ids_.find(piece);
    ids.push_back(found != ids_.end() ? found->second : unk_id());
  }
  return ids;
}

std::string BpeTokenizer::decode(const std::vector<int64_t>& ids) const {
  std::string text;
  for (const int64_t id : ids) {
    check_id(id);
    if (id > unk_id()) text += pieces_[id];
  }
  std::string caption;
  for (size_t at = 0; at < text.size();) {
    if (text.compare(at, kWordStart.size(), kWordStart) == 0) {
      if (!caption.empty()) caption += ' ';
      at += kWordStart.size();
    } else {
      caption += text[at++];
    }
  }
  return caption;
}

std::vector<std::string> BpeTokenizer::to_vocabulary() const {
  std::vector<std::string> vocabulary = {kMarker};
  vocabulary.insert(vocabulary.end(), alphabet_.begin(), alphabet_.end());
  for (const auto& [left, right] : merges_) vocabulary.push_back(left + " " + right);
  return vocabulary;
}

}  // namespace vedkit
