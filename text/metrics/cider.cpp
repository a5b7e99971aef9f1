#include "text/metrics/cider.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <numeric>
#include <unordered_map>
#include <unordered_set>

namespace vedkit {
namespace {

constexpr int kMaxOrder = 4;
constexpr double kSigma = 6;

struct TfIdf {
  std::array<std::unordered_map<std::string, double>, kMaxOrder> weights;
  std::array<double, kMaxOrder> norms{};
  // In words. coco-caption counts bigrams (its `n == 1` is the bigram index), words - 1: the
  // same differences, except for an empty caption, whose similarity is 0 under any penalty.
  int64_t length = 0;
};

TfIdf tf_idf(const Words& words, const std::unordered_map<std::string, int64_t>& document_frequency,
             double log_images) {
  TfIdf vector;
  vector.length = static_cast<int64_t>(words.size());
  for (int n = 1; n <= kMaxOrder; ++n) {
    double squares = 0;
    for (const auto& [ngram, count] : ngram_counts(words, n)) {
      const auto found = document_frequency.find(ngram);
      const int64_t df = found == document_frequency.end() ? 0 : found->second;
      const double weight = count * (log_images - std::log(std::max<double>(1, df)));
      vector.weights[n - 1][ngram] = weight;
      squares += weight * weight;
    }
    vector.norms[n - 1] = std::sqrt(squares);
  }
  return vector;
}

// The mean over n of the clipped cosine similarities, length-penalised.
double similarity(const TfIdf& hypothesis, const TfIdf& reference) {
  const double delta = static_cast<double>(hypothesis.length - reference.length);
  const double penalty = std::exp(-delta * delta / (2 * kSigma * kSigma));
  double sum = 0;
  for (int n = 0; n < kMaxOrder; ++n) {
    double dot = 0;
    for (const auto& [ngram, weight] : hypothesis.weights[n]) {
      const auto found = reference.weights[n].find(ngram);
      if (found != reference.weights[n].end())
        dot += std::min(weight, found->second) * found->second;
    }
    if (hypothesis.norms[n] != 0 && reference.norms[n] != 0) {
      dot /= hypothesis.norms[n] * reference.norms[n];
    }
    sum += dot * penalty;
  }
  return sum / kMaxOrder;
}

}  // namespace

std::vector<double> cider_d(const std::vector<Words>& hypotheses,
                            const std::vector<std::vector<Words>>& references) {
  check_corpus(hypotheses, references);
  std::unordered_map<std::string, int64_t> document_frequency;
  for (const auto& image_references : references) {
    std::unordered_set<std::string> seen;
    for (const auto& reference : image_references) {
      for (int n = 1; n <= kMaxOrder; ++n) {
        for (const auto& entry : ngram_counts(reference, n)) seen.insert(entry.first);
      }
    }
    for (const auto& ngram : seen) ++document_frequency[ngram];
  }
  const double log_images = std::log(static_cast<double>(references.size()));
  std::vector<double> scores;
  for (size_t image = 0; image < hypotheses.size(); ++image) {
    const auto hypothesis = tf_idf(hypotheses[image], document_frequency, log_images);
    double sum = 0;
    for (const auto& reference : references[image]) {
      sum += similarity(hypothesis, tf_idf(reference, document_frequency, log_images));
    }
    scores.push_back(10 * sum / references[image].size());
  }
  return scores;
}

double corpus_cider_d(const std::vector<Words>& hypotheses,
                      const std::vector<std::vector<Words>>& references) {
  const auto scores = cider_d(hypotheses, references);
  return std::accumulate(scores.begin(), scores.end(), 0.0) / scores.size();
}

}  // namespace vedkit
