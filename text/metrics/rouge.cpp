#include "text/metrics/rouge.h"

#include <algorithm>

namespace vedkit {
namespace {

constexpr double kBeta = 1.2;

// One row of the dynamic programme at a time.
size_t longest_common_subsequence(const Words& a, const Words& b) {
  std::vector<size_t> previous(b.size() + 1, 0), current(b.size() + 1, 0);
  for (const auto& word : a) {
    for (size_t j = 1; j <= b.size(); ++j) {
      current[j] = word == b[j - 1] ? previous[j - 1] + 1 : std::max(previous[j], current[j - 1]);
    }
    std::swap(previous, current);
  }
  return previous[b.size()];
}

}  // namespace

double rouge_l(const Words& hypothesis, const std::vector<Words>& references) {
  if (hypothesis.empty()) return 0;
  double precision = 0, recall = 0;
  for (const auto& reference : references) {
    if (reference.empty()) continue;
    const auto common = static_cast<double>(longest_common_subsequence(hypothesis, reference));
    precision = std::max(precision, common / hypothesis.size());
    recall = std::max(recall, common / reference.size());
  }
  if (precision == 0 || recall == 0) return 0;
  return (1 + kBeta * kBeta) * precision * recall / (recall + kBeta * kBeta * precision);
}

double corpus_rouge_l(const std::vector<Words>& hypotheses,
                      const std::vector<std::vector<Words>>& references) {
  check_corpus(hypotheses, references);
  double sum = 0;
  for (size_t image = 0; image < hypotheses.size(); ++image) {
    sum += rouge_l(hypotheses[image], references[image]);
  }
  return sum / hypotheses.size();
}

}  // namespace vedkit
