#include "text/metrics/caption_scores.h"

#include <cstdio>
#include <sstream>

#include "text/caption_words.h"
#include "text/metrics/bleu.h"
#include "text/metrics/cider.h"
#include "text/metrics/rouge.h"

namespace vedkit {
namespace {

// Name and value of every score, in print order.
std::vector<std::pair<std::string, double>> named_scores(const CaptionScores& scores) {
  return {{"BLEU-1", scores.bleu[0]}, {"BLEU-2", scores.bleu[1]},  {"BLEU-3", scores.bleu[2]},
          {"BLEU-4", scores.bleu[3]}, {"ROUGE-L", scores.rouge_l}, {"CIDEr-D", scores.cider_d}};
}

}  // namespace

CaptionScores score_captions(const std::vector<std::string>& hypotheses,
                             const std::vector<std::vector<std::string>>& references) {
  std::vector<Words> hypothesis_words;
  for (const auto& caption : hypotheses) hypothesis_words.push_back(caption_words(caption));
  std::vector<std::vector<Words>> reference_words;
  for (const auto& captions : references) {
    auto& words = reference_words.emplace_back();
    for (const auto& caption : captions) words.push_back(caption_words(caption));
  }
  CaptionScores scores;
  scores.bleu = corpus_bleu(hypothesis_words, reference_words);
  scores.rouge_l = corpus_rouge_l(hypothesis_words, reference_words);
  scores.cider_d = corpus_cider_d(hypothesis_words, reference_words);
  scores.images = static_cast<int64_t>(hypotheses.size());
  return scores;
}

std::string format_caption_scores_table(const CaptionScores& scores) {
  std::ostringstream out;
  char line[64];
  std::snprintf(line, sizeof line, "%-8s %8s\n", "Metric", "Score");
  out << line;
  for (const auto& [name, value] : named_scores(scores)) {
    std::snprintf(line, sizeof line, "%-8s %8.2f\n", name.c_str(), 100 * value);
    out << line;
  }
  out << "(" << scores.images << " images)\n";
  return out.str();
}

std::string format_caption_scores_json(const CaptionScores& scores) {
  std::ostringstream out;
  char number[32];
  out << "{";
  for (const auto& [name, value] : named_scores(scores)) {
    std::snprintf(number, sizeof number, "%.6f", value);
    out << "\"" << name << "\": " << number << ", ";
  }
  out << "\"images\": " << scores.images << "}";
  return out.str();
}

}  // namespace vedkit
