#pragma once

#include <string>
#include <unordered_map>
#include <vector>

#include "text/tokenizer.h"

namespace vedkit {

// One token per word of caption_words(); the vocabulary is the four specials, then the words
// by falling frequency (ties alphabetical), so the same captions always give the same ids.
class WordTokenizer : public Tokenizer {
 public:
  // Keeps the words that occur at least min_frequency times in captions.
  static WordTokenizer train(const std::vector<std::string>& captions, int64_t min_frequency);
  // tokens: the specials first, as to_vocabulary() writes them.
  explicit WordTokenizer(std::vector<std::string> tokens);

  std::vector<int64_t> encode(const std::string& caption) const override;
  std::string decode(const std::vector<int64_t>& ids) const override;
  int64_t vocab_size() const override { return static_cast<int64_t>(tokens_.size()); }
  std::vector<std::string> to_vocabulary() const override { return tokens_; }
  std::string type() const override { return "word"; }

 private:
  std::vector<std::string> tokens_;
  std::unordered_map<std::string, int64_t> ids_;
};

}  // namespace vedkit
