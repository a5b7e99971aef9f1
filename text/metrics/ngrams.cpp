#include "text/metrics/ngrams.h"

#include <stdexcept>

namespace vedkit {

NgramCounts ngram_counts(const Words& words, int n) {
  NgramCounts counts;
  for (size_t start = 0; start + n <= words.size(); ++start) {
    std::string ngram = words[start];
    for (int k = 1; k < n; ++k) ngram += " " + words[start + k];
    ++counts[ngram];
  }
  return counts;
}

void check_corpus(const std::vector<Words>& hypotheses,
                  const std::vector<std::vector<Words>>& references) {
  if (hypotheses.size() != references.size()) {
    throw std::invalid_argument(std::to_string(hypotheses.size()) +
                                " hypotheses but references for " +
                                std::to_string(references.size()) + " images");
  }
  if (hypotheses.empty()) throw std::invalid_argument("no captions to score");
  for (size_t image = 0; image < references.size(); ++image) {
    if (references[image].empty()) {
      throw std::invalid_argument("image " + std::to_string(image) + " has no reference caption");
    }
  }
}

}  // namespace vedkit
