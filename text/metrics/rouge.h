#pragma once

#include <vector>

#include "text/metrics/ngrams.h"

namespace vedkit {

// ROUGE-L of one image as coco-caption's Rouge: from the longest common subsequence with each
// reference, the best precision and the best recall (not necessarily the same reference) give
// F = (1 + b^2) P R / (R + b^2 P) with b = 1.2. 0 for an empty hypothesis.
double rouge_l(const Words& hypothesis, const std::vector<Words>& references);

// The mean of rouge_l over the images.
double corpus_rouge_l(const std::vector<Words>& hypotheses,
                      const std::vector<std::vector<Words>>& references);

}  // namespace vedkit
