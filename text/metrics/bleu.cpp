#include "text/metrics/bleu.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>

namespace vedkit {
namespace {

// The reference length nearest the hypothesis length, the shorter on a tie.
int64_t closest_reference_length(const std::vector<Words>& references, int64_t length) {
  int64_t best = static_cast<int64_t>(references.front().size());
  for (const auto& reference : references) {
    const auto candidate = static_cast<int64_t>(reference.size());
    const auto distance = std::abs(candidate - length), best_distance = std::abs(best - length);
    if (distance < best_distance || (distance == best_distance && candidate < best)) {
      best = candidate;
    }
  }
  return best;
}

}  // namespace

std::array<double, 4> corpus_bleu(const std::vector<Words>& hypotheses,
                                  const std::vector<std::vector<Words>>& references) {
  check_corpus(hypotheses, references);
  std::array<int64_t, 4> matches{}, totals{};
  int64_t hypothesis_length = 0, reference_length = 0;
  for (size_t image = 0; image < hypotheses.size(); ++image) {
    const auto& hypothesis = hypotheses[image];
    for (int n = 1; n <= 4; ++n) {
      NgramCounts most_in_a_reference;
      for (const auto& reference : references[image]) {
        for (const auto& [ngram, count] : ngram_counts(reference, n)) {
          auto& most = most_in_a_reference[ngram];
          most = std::max(most, count);
        }
      }
      int64_t total = 0;
      for (const auto& [ngram, count] : ngram_counts(hypothesis, n)) {
        const auto found = most_in_a_reference.find(ngram);
        if (found != most_in_a_reference.end()) matches[n - 1] += std::min(count, found->second);
        total += count;
      }
      totals[n - 1] += std::max<int64_t>(1, total);  // NLTK counts at least 1 per sentence
    }
    hypothesis_length += static_cast<int64_t>(hypothesis.size());
    reference_length +=
        closest_reference_length(references[image], static_cast<int64_t>(hypothesis.size()));
  }
  double brevity_penalty = 1;
  if (hypothesis_length == 0) {
    brevity_penalty = 0;
  } else if (hypothesis_length <= reference_length) {
    brevity_penalty = std::exp(1 - static_cast<double>(reference_length) / hypothesis_length);
  }
  std::array<double, 4> bleu{};
  double log_precision_sum = 0;
  for (int n = 1; n <= 4; ++n) {
    if (matches[n - 1] == 0) break;  // this and every higher order stay 0
    log_precision_sum += std::log(static_cast<double>(matches[n - 1]) / totals[n - 1]);
    bleu[n - 1] = brevity_penalty * std::exp(log_precision_sum / n);
  }
  return bleu;
}

}  // namespace vedkit
