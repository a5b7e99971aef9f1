#include "vision/autoencoder/anomaly_map.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <algorithm>
#include <numeric>
#include <random>

#include "core/error.h"

namespace vedkit {
namespace {

TEST(AnomalyMap, ThresholdIsTheQuantileAsNumpysDefaultComputesIt) {
  std::vector<double> scores(100);
  std::iota(scores.begin(), scores.end(), 1.0);
  std::shuffle(scores.begin(), scores.end(), std::mt19937(4));
  EXPECT_DOUBLE_EQ(anomaly_threshold(scores, 0.99), 99.01);  // numpy.percentile(1..100, 99)
  EXPECT_DOUBLE_EQ(anomaly_threshold(scores, 0.5), 50.5);
  EXPECT_DOUBLE_EQ(anomaly_threshold({3.0}, 0.99), 3.0);
  EXPECT_THROW(anomaly_threshold({}, 0.99), Error);
}

TEST(AnomalyMap, MapIsTheSmoothedChannelMeanSquaredErrorAndScoreItsMaximum) {
  const auto images = torch::zeros({2, 3, 32, 32});
  auto reconstructions = torch::full({2, 3, 32, 32}, 0.1);
  reconstructions[1].index_put_({torch::indexing::Slice(), 10, 20}, 1.0);  // one wrong pixel
  const auto result = anomaly_maps_of(images, reconstructions);
  ASSERT_EQ(result.maps.sizes(), (torch::IntArrayRef{2, 32, 32}));
  // A uniform error stays as it is under smoothing: 0.1^2 everywhere.
  EXPECT_NEAR(result.scores[0].item<double>(), 0.01, 1e-6);
  EXPECT_NEAR(result.maps[0].min().item<double>(), 0.01, 1e-6);
  // The wrong pixel is spread out (below its raw 1.0) but peaks where it is.
  const auto peak = result.maps[1].argmax().item<int64_t>();
  EXPECT_EQ(peak, 10 * 32 + 20);
  EXPECT_GT(result.scores[1].item<double>(), 0.01);
  EXPECT_LT(result.scores[1].item<double>(), 0.5);
  // Without smoothing the score is the raw pixel's.
  EXPECT_NEAR(anomaly_maps_of(images, reconstructions, 0).scores[1].item<double>(), 1.0, 1e-6);
}

}  // namespace
}  // namespace vedkit
