#pragma once

#include <array>
#include <vector>

#include "text/metrics/ngrams.h"

namespace vedkit {

// Corpus BLEU-1..4 as NLTK's corpus_bleu without smoothing (and coco-caption's Bleu, up to its
// 1e-9 guards): clipped n-gram matches and n-gram counts summed over the corpus, the geometric
// mean of the precisions up to n, and one brevity penalty from the summed hypothesis lengths
// and the summed closest reference lengths. A precision of 0 makes that BLEU 0.
std::array<double, 4> corpus_bleu(const std::vector<Words>& hypotheses,
                                  const std::vector<std::vector<Words>>& references);

}  // namespace vedkit
