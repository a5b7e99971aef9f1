#pragma once

#include <vector>

#include "text/metrics/ngrams.h"

namespace vedkit {

// CIDEr-D per image as coco-caption's CiderD with df from this corpus: for n = 1..4, tf-idf
// vectors (idf = log(images) - log(max(1, images whose references hold the n-gram))), the
// hypothesis' weights clipped by each reference's, cosine similarity times a gaussian length
// penalty (sigma 6), averaged over n and references, times 10. A corpus of one image scores 0.
std::vector<double> cider_d(const std::vector<Words>& hypotheses,
                            const std::vector<std::vector<Words>>& references);

// The mean of cider_d over the images.
double corpus_cider_d(const std::vector<Words>& hypotheses,
                      const std::vector<std::vector<Words>>& references);

}  // namespace vedkit
