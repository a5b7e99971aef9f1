#pragma once

#include <vector>

namespace vedkit {

// The area under the ROC curve of scores for telling positives (anomalous: label true) from
// negatives: the probability that a random positive scores above a random negative, ties
// counting half (the Mann-Whitney U statistic over both counts), as scikit-learn's
// roc_auc_score. NaN when either class is empty.
double auroc(const std::vector<double>& scores, const std::vector<bool>& positive);

}  // namespace vedkit
