#include "text/word_tokenizer.h"

#include <algorithm>
#include <map>

#include "core/error.h"
#include "text/caption_words.h"

namespace vedkit {

WordTokenizer WordTokenizer::train(const std::vector<std::string>& captions,
                                   int64_t min_frequency) {
  std::map<std::string, int64_t> counts;
  for (const auto& caption : captions) {
    for (const auto& word : caption_words(caption)) ++counts[word];
  }
  std::vector<std::pair<std::string, int64_t>> kept;
  for (const auto& [word, count] : counts) {
    if (count >= min_frequency) kept.emplace_back(word, count);
  }
  // counts is alphabetical and the sort stable, so ties stay alphabetical.
  std::stable_sort(kept.begin(), kept.end(),
                   [](const auto& a, const auto& b) { return a.second > b.second; });
  std::vector<std::string> tokens = special_tokens();
  for (const auto& entry : kept) tokens.push_back(entry.first);
  return WordTokenizer(std::move(tokens));
}

WordTokenizer::WordTokenizer(std::vector<std::string> tokens) : tokens_(std::move(tokens)) {
  const auto& names = special_tokens();
  if (tokens_.size() < names.size() || !std::equal(names.begin(), names.end(), tokens_.begin())) {
    throw ModelFileError("a word vocabulary must start with <pad> <bos> <eos> <unk>");
  }
  for (size_t id = 0; id < tokens_.size(); ++id) {
    if (!ids_.emplace(tokens_[id], static_cast<int64_t>(id)).second) {
      throw ModelFileError("the word vocabulary holds '" + tokens_[id] + "' twice");
    }
  }
}

std::vector<int64_t> WordTokenizer::encode(const std::string& caption) const {
  std::vector<int64_t> ids;
  for (const auto& word : caption_words(caption)) {
    const auto found = ids_.find(word);
    ids.push_back(found != ids_.end() ? found->second : unk_id());
  }
  return ids;
}

std::string WordTokenizer::decode(const std::vector<int64_t>& ids) const {
  std::string caption;
  for (const int64_t id : ids) {
    check_id(id);
    if (id <= unk_id()) continue;
    caption += (caption.empty() ? "" : " ") + tokens_[id];
  }
  return caption;
}

}  // namespace vedkit
