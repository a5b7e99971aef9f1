#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace vedkit {

// Corpus scores of generated captions, each in [0, 1] except CIDEr-D (0 to 10).
struct CaptionScores {
  std::array<double, 4> bleu{};  // BLEU-1..4
  double rouge_l = 0;
  double cider_d = 0;
  int64_t images = 0;
};

// hypotheses: one caption per image; references: that image's captions. Both are normalised by
// caption_words() first, as coco-caption's PTB tokenizer does before scoring.
CaptionScores score_captions(const std::vector<std::string>& hypotheses,
                             const std::vector<std::vector<std::string>>& references);

// A table (Metric | Score, scores x100 as papers print them) and the same as JSON (unscaled).
std::string format_caption_scores_table(const CaptionScores& scores);
std::string format_caption_scores_json(const CaptionScores& scores);

}  // namespace vedkit
