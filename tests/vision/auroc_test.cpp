#include "vision/metrics/auroc.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <sstream>

#include "core/error.h"
#include "tests/support/python_peer.h"
#include "tests/support/run_command.h"

namespace vedkit {
namespace {

template <typename T>
std::string python_list(const std::vector<T>& values) {
  std::ostringstream out;
  out.precision(17);
  out << "[";
  for (size_t i = 0; i < values.size(); ++i) out << (i ? "," : "") << values[i];
  out << "]";
  return out.str();
}

// scikit-learn's roc_auc_score on the same vectors (Debian's python3-sklearn).
double sklearn_auroc(const std::vector<double>& scores, const std::vector<bool>& positive) {
  std::vector<int> labels(positive.begin(), positive.end());
  const auto result = testing::run_command(
      testing::python() + " -c 'from sklearn.metrics import roc_auc_score; print(repr(roc_auc_score(" +
      python_list(labels) + ", " + python_list(scores) + ")))'");
  EXPECT_EQ(result.exit_code, 0) << result.output << " (install python3-sklearn: scripts/setup.sh)";
  return std::stod(result.output);
}

TEST(Auroc, MatchesScikitLearnOnFixedVectorsWithTiesTo1e9) {
  std::vector<std::pair<std::vector<double>, std::vector<bool>>> cases = {
      {{0.1, 0.4, 0.35, 0.8}, {false, false, true, true}},                // 0.75
      {{1, 1, 1, 2, 2, 3}, {false, true, false, true, false, true}},      // ties across classes
      {{0.5, 0.5, 0.5, 0.5}, {true, false, true, false}},                 // all tied: 0.5
      {{3, 2, 1}, {true, false, false}},                                  // perfect
      {{3, 2, 1}, {false, true, true}},                                   // perfectly wrong
  };
  std::mt19937 random(31);
  std::uniform_int_distribution<int> coarse(0, 20);  // many ties
  std::normal_distribution<double> fine(0, 1);
  for (int n : {50, 400}) {
    std::vector<double> scores;
    std::vector<bool> positive;
    for (int i = 0; i < n; ++i) {
      positive.push_back(i % 3 == 0);
      scores.push_back(n == 50 ? coarse(random) + (positive.back() ? 3 : 0)
                               : fine(random) + (positive.back() ? 0.7 : 0));
    }
    cases.emplace_back(scores, positive);
  }
  for (const auto& [scores, positive] : cases) {
    EXPECT_NEAR(auroc(scores, positive), sklearn_auroc(scores, positive), 1e-9)
        << python_list(scores);
  }
  EXPECT_DOUBLE_EQ(auroc({0.1, 0.4, 0.35, 0.8}, {false, false, true, true}), 0.75);
}

TEST(Auroc, OneClassOnlyIsNaNAndMismatchedLengthsAreAnError) {
  EXPECT_TRUE(std::isnan(auroc({1, 2}, {true, true})));
  EXPECT_THROW(auroc({1, 2}, {true}), Error);
}

}  // namespace
}  // namespace vedkit
