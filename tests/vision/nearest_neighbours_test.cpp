#include "vision/metrics/nearest_neighbours.h"

#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include <cmath>
#include <stdexcept>

namespace vedkit {
namespace {

TEST(NearestNeighbours, AveragesTheKSmallestEuclideanDistances) {
  // References on a line at 0, 1, 3 and 10; a query at 2 is 1, 1, 2 and 8 away.
  const auto references =
      at::tensor({0.0f, 0.0f, 1.0f, 0.0f, 3.0f, 0.0f, 10.0f, 0.0f}).view({4, 2});
  const auto queries = at::tensor({2.0f, 0.0f, 0.0f, 4.0f}).view({2, 2});
  const auto k1 = mean_distance_to_nearest(queries, references, 1);
  EXPECT_NEAR(k1[0].item<float>(), 1.0f, 1e-6);
  EXPECT_NEAR(k1[1].item<float>(), 4.0f, 1e-6);
  const auto k3 = mean_distance_to_nearest(queries, references, 3);
  EXPECT_NEAR(k3[0].item<float>(), (1.0f + 1.0f + 2.0f) / 3, 1e-6);
  EXPECT_NEAR(k3[1].item<float>(), (4.0f + std::sqrt(17.0f) + 5.0f) / 3, 1e-5);
}

// More queries than one block of the distance matrix: every block is scored, in order.
TEST(NearestNeighbours, MatchesABruteForceSearchAcrossBlocks) {
  at::manual_seed(0);
  const auto references = at::randn({300, 16});
  const auto queries = at::randn({2500, 16});
  const auto expected =
      std::get<0>(
          (queries.unsqueeze(1) - references.unsqueeze(0)).pow(2).sum(2).sqrt().topk(5, 1, false))
          .mean(1);
  EXPECT_TRUE(at::allclose(mean_distance_to_nearest(queries, references, 5), expected, 1e-4, 1e-4));
}

TEST(NearestNeighbours, RefusesMoreNeighboursThanReferences) {
  EXPECT_THROW(mean_distance_to_nearest(at::zeros({1, 2}), at::zeros({3, 2}), 4),
               std::invalid_argument);
  EXPECT_THROW(mean_distance_to_nearest(at::zeros({1, 2}), at::zeros({3, 2}), 0),
               std::invalid_argument);
}

}  // namespace
}  // namespace vedkit
