#include "vision/layers/onednn_products.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "tests/support/relative_diff.h"

namespace vedkit {
namespace {

using testing::relative_diff;

TEST(OnednnProducts, LinearMatchesTorchOnSlicesWithAndWithoutBiasAndGelu) {
  torch::InferenceMode inference;
  const auto x = torch::randn({197, 192});
  const auto packed = torch::randn({3 * 64, 192});  // an in_proj: slices are views
  for (const auto& weight : {packed.narrow(0, 64, 64), torch::randn({768, 192})}) {
    for (const bool with_bias : {true, false}) {
      const auto bias = with_bias ? torch::randn({weight.size(0)}) : torch::Tensor();
      const auto expected = torch::nn::functional::linear(x, weight, bias);
      EXPECT_LT(relative_diff(onednn_linear(x, weight, bias, false), expected), 1e-5);
      EXPECT_LT(relative_diff(onednn_linear(x, weight, bias, true), torch::gelu(expected)), 1e-5);
    }
  }
}

TEST(OnednnProducts, LinearRefusesWhatItCannotTake) {
  const auto weight = torch::randn({8, 4}, torch::requires_grad());
  EXPECT_FALSE(onednn_linear(torch::randn({5, 4}), weight, {}, false).defined()) << "gradient";
  torch::NoGradGuard no_grad;
  EXPECT_FALSE(onednn_linear(torch::randn({5, 3}), weight, {}, false).defined()) << "sizes";
  EXPECT_FALSE(onednn_linear(torch::randn({5, 4}).to(torch::kDouble), weight, {}, false).defined());
  EXPECT_TRUE(onednn_linear(torch::randn({5, 4}), weight, {}, false).defined());
}

TEST(OnednnProducts, AttentionMatchesSoftmaxOfScaledProducts) {
  torch::InferenceMode inference;
  for (const int64_t batch : {1, 3}) {
    const int64_t length = 197, heads = 3, dh = 64;
    const auto qkv = torch::randn({batch, length, 3 * heads * dh});
    const auto parts = qkv.chunk(3, -1);  // views with row stride 3 * D, as a ViT makes them
    auto split = [&](const torch::Tensor& t) {
      return t.view({batch, length, heads, dh}).transpose(1, 2);
    };
    const auto q = split(parts[0]), k = split(parts[1]), v = split(parts[2]);
    const double scale = 0.125;
    const auto expected = torch::softmax(q.matmul(k.transpose(-2, -1)) * scale, -1)
                              .matmul(v)
                              .transpose(1, 2)
                              .reshape({batch, length, heads * dh});
    const auto y = onednn_attention(q, k, v, scale);
    ASSERT_TRUE(y.defined());
    EXPECT_LT(relative_diff(y, expected), 1e-5) << "batch " << batch;
  }
}

}  // namespace
}  // namespace vedkit
