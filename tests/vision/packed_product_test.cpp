#include "vision/layers/packed_product.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "tests/support/relative_diff.h"
#include "vision/layers/affine.h"

namespace vedkit {
namespace {

using testing::relative_diff;

class PackedProduct : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!packed_product::preferred()) GTEST_SKIP() << "this CPU takes another product";
    torch::manual_seed(0);
  }
};

TEST_F(PackedProduct, MatchesTorchLinearOnEdgeShapes) {
  torch::NoGradGuard no_grad;
  // Rows and outputs that are not multiples of the 6x16 tile, and one of many rows.
  for (const auto& [rows, in, out] : std::vector<std::tuple<int64_t, int64_t, int64_t>>{
           {5, 7, 3}, {6, 16, 16}, {13, 33, 37}, {197, 192, 576}, {611, 64, 100}}) {
    const auto weight = torch::randn({out, in});
    const auto bias = torch::randn({out});
    const auto x = torch::randn({rows, in});
    const auto expected = torch::nn::functional::linear(x, weight, bias);
    EXPECT_LT(relative_diff(affine(x, weight, bias), expected), 1e-6)
        << rows << "x" << in << "x" << out;
    EXPECT_LT(relative_diff(affine(x, weight), torch::nn::functional::linear(x, weight)), 1e-6);
  }
}

TEST_F(PackedProduct, FusesGeluAndResidual) {
  torch::NoGradGuard no_grad;
  const auto weight = torch::randn({50, 24});
  const auto bias = torch::randn({50});
  const auto x = torch::randn({3, 9, 24}) * 2;  // GELU's inputs well past +-4
  const auto residual = torch::randn({3, 9, 50});
  const auto linear = torch::nn::functional::linear(x, weight, bias);
  EXPECT_LT(relative_diff(affine_gelu(x, weight, bias), torch::gelu(linear)), 1e-6);
  EXPECT_LT(relative_diff(affine_add(x, weight, bias, residual), linear + residual), 1e-6);
}

TEST_F(PackedProduct, GeluEqualsTorchsOverItsRange) {
  torch::NoGradGuard no_grad;
  // A weight of one makes affine_gelu GELU itself, on 8001 values in [-10, 10].
  const auto values = torch::linspace(-10, 10, 8001).reshape({-1, 1});
  const auto expected = torch::gelu(values);
  const auto error =
      (affine_gelu(values, torch::ones({1, 1})) - expected).abs() / (1 + expected.abs());
  // The erf approximation is within 4e-7, which GELU scales by |x| / 2.
  EXPECT_LT(error.max().item<float>(), 2e-6);
}

TEST_F(PackedProduct, ReadsSlicesOfALargerWeight) {
  torch::NoGradGuard no_grad;
  const auto in_proj = torch::randn({3 * 32, 32});  // q, k and v stacked, as attention keeps them
  const auto x = torch::randn({20, 32});
  for (int64_t part = 0; part < 3; ++part) {
    const auto slice = in_proj.narrow(0, 32 * part, 32);
    EXPECT_LT(relative_diff(affine(x, slice), torch::nn::functional::linear(x, slice)), 1e-6);
  }
}

TEST_F(PackedProduct, SeesWeightsChangedInPlace) {
  auto weight = torch::randn({40, 16});
  const auto x = torch::randn({10, 16});
  torch::NoGradGuard no_grad;
  const auto before = affine(x, weight);  // packs the weight
  weight.mul_(-2);                        // as an optimizer step or a load would
  EXPECT_LT(relative_diff(affine(x, weight), before * -2), 1e-6);
  weight.copy_(torch::randn({40, 16}));
  EXPECT_LT(relative_diff(affine(x, weight), torch::nn::functional::linear(x, weight)), 1e-6);
}

TEST_F(PackedProduct, NewWeightsAtAnOldAddressArePackedAfresh) {
  torch::NoGradGuard no_grad;
  const auto x = torch::randn({10, 16});
  for (int round = 0; round < 20; ++round) {
    const auto weight = torch::randn({24, 16});  // the allocator often reuses the last block
    ASSERT_LT(relative_diff(affine(x, weight), torch::nn::functional::linear(x, weight)), 1e-6)
        << round;
  }
}

}  // namespace
}  // namespace vedkit
