#pragma once

#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "text/tokenizer.h"

namespace vedkit {

// Subword tokens by byte-pair encoding over caption_words(), SentencePiece style: a word is
// "▁" (U+2581) and its characters, and learnt merges join the most frequent adjacent pairs
// ("▁", "d" -> "▁d"; "▁d", "og" -> "▁dog"), so rare words are spelled from frequent pieces.
//
// Ids: the specials, then the alphabet (every character of the training words, and "▁"), then
// one piece per merge in the order learnt. The model file's vocabulary is kMarker, the alphabet
// (one character an entry), then the merges as "left right".
class BpeTokenizer : public Tokenizer {
 public:
  static constexpr const char* kMarker = "<bpe-v1>";
  using Merge = std::pair<std::string, std::string>;

  // Learns merges until vocab_size ids (specials included) or no pair occurs twice.
  static BpeTokenizer train(const std::vector<std::string>& captions, int64_t vocab_size);
  // vocabulary: as to_vocabulary() writes it.
  static BpeTokenizer from_vocabulary(const std::vector<std::string>& vocabulary);

  std::vector<int64_t> encode(const std::string& caption) const override;
  std::string decode(const std::vector<int64_t>& ids) const override;
  int64_t vocab_size() const override { return static_cast<int64_t>(pieces_.size()); }
  std::vector<std::string> to_vocabulary() const override;
  std::string type() const override { return "bpe"; }

  // The pieces of a caption ("▁a", "▁sne", "aker"), to see what was learnt.
  std::vector<std::string> pieces(const std::string& caption) const;

 private:
  BpeTokenizer(std::vector<std::string> alphabet, std::vector<Merge> merges);

  std::vector<std::string> alphabet_;
  std::vector<Merge> merges_;
  std::vector<std::string> pieces_;  // by id
  std::unordered_map<std::string, int64_t> ids_;
  std::unordered_map<std::string, size_t> merge_ranks_;  // "left right" -> order learnt
};

}  // namespace vedkit
