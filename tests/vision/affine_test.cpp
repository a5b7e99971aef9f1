#include "vision/layers/affine.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

namespace vedkit {
namespace {

TEST(Affine, MatchesTorchLinearForFewAndManyRows) {
  torch::manual_seed(0);
  const auto weight = torch::randn({48, 32});
  const auto bias = torch::randn({48});
  torch::InferenceMode inference;
  for (const auto& shape : std::vector<std::vector<int64_t>>{
           {32}, {1, 32}, {3, 1, 32}, {2, 2, 32}, {5, 32}, {2, 7, 32}}) {
    const auto x = torch::randn(shape);
    const auto expected = torch::nn::functional::linear(x, weight, bias);
    const auto y = affine(x, weight, bias);
    EXPECT_EQ(y.sizes(), expected.sizes());
    EXPECT_TRUE(torch::allclose(y, expected, 1e-5, 1e-5)) << x.sizes();
    EXPECT_TRUE(
        torch::allclose(affine(x, weight), torch::nn::functional::linear(x, weight), 1e-5, 1e-5))
        << x.sizes();
  }
}

TEST(Affine, GradientsFlowThroughFewRows) {
  auto weight = torch::randn({8, 4}, torch::requires_grad());
  const auto x = torch::randn({2, 4}, torch::requires_grad());
  affine(x, weight).sum().backward();
  ASSERT_TRUE(weight.grad().defined());
  EXPECT_TRUE(torch::allclose(weight.grad(), x.sum(0).expand({8, 4})));
}

}  // namespace
}  // namespace vedkit
