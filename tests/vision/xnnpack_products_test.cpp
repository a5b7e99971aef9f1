#include "vision/layers/xnnpack_products.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "core/runtime.h"

namespace vedkit {
namespace {

torch::Tensor reference_attention(const torch::Tensor& q, const torch::Tensor& k,
                                  const torch::Tensor& v, const torch::Tensor& mask, double scale) {
  auto scores = q.matmul(k.transpose(-2, -1)) * scale;
  if (mask.defined()) scores = scores + mask;
  const auto y = torch::softmax(scores, -1).matmul(v);  // [B, H, T, Dh]
  return y.transpose(1, 2).reshape({q.size(0), q.size(2), -1});
}

TEST(XnnpackLinear, MatchesTorchLinearWithAndWithoutBias) {
  torch::manual_seed(0);
  const auto weight = torch::randn({70, 48});  // 70: not a whole number of 16-column slices
  const auto bias = torch::randn({70});
  const auto x = torch::randn({197, 48});
  torch::NoGradGuard no_grad;
  const auto y = xnnpack_linear(x, weight, bias);
  ASSERT_TRUE(y.defined());
  EXPECT_TRUE(torch::allclose(y, torch::nn::functional::linear(x, weight, bias), 1e-4, 1e-5));
  const auto unbiased = xnnpack_linear(x, weight, {});
  ASSERT_TRUE(unbiased.defined());
  EXPECT_TRUE(torch::allclose(unbiased, x.matmul(weight.t()), 1e-4, 1e-5));
}

TEST(XnnpackLinear, FollowsInPlaceChangesToTheWeights) {
  torch::manual_seed(1);
  auto weight = torch::randn({32, 16});
  auto bias = torch::randn({32});
  const auto x = torch::randn({10, 16});
  torch::NoGradGuard no_grad;
  ASSERT_TRUE(xnnpack_linear(x, weight, bias).defined());  // packs this version
  weight.mul_(-2.0);                                       // as an optimizer step would
  bias.add_(1.0);
  const auto y = xnnpack_linear(x, weight, bias);
  ASSERT_TRUE(y.defined());
  EXPECT_TRUE(torch::allclose(y, torch::nn::functional::linear(x, weight, bias), 1e-4, 1e-5));
}

TEST(XnnpackLinear, SlicesOfOneMatrixAreSeparateWeights) {
  torch::manual_seed(2);
  const auto weight = torch::randn({3 * 24, 24});  // attention's in_proj: query, key, value rows
  const auto bias = torch::randn({3 * 24});
  const auto x = torch::randn({9, 24});
  torch::NoGradGuard no_grad;
  for (int64_t part = 0; part < 3; ++part) {
    const auto w = weight.narrow(0, 24 * part, 24), b = bias.narrow(0, 24 * part, 24);
    const auto y = xnnpack_linear(x, w, b);
    ASSERT_TRUE(y.defined());
    EXPECT_TRUE(torch::allclose(y, torch::nn::functional::linear(x, w, b), 1e-4, 1e-5)) << part;
  }
}

TEST(XnnpackLinear, GivesTheSameAnswerOnOneAndTwoThreads) {
  torch::manual_seed(3);
  const auto weight = torch::randn({100, 40});
  const auto x = torch::randn({50, 40});
  torch::NoGradGuard no_grad;
  torch::Tensor one, two;
  {
    ThreadCountScope two_threads(2);  // two slices of columns
    two = xnnpack_linear(x, weight, {});
  }
  {
    ThreadCountScope one_thread(1);  // packed again as one
    one = xnnpack_linear(x, weight, {});
  }
  ASSERT_TRUE(one.defined() && two.defined());
  EXPECT_TRUE(torch::allclose(one, two, 1e-5, 1e-6));
  EXPECT_TRUE(torch::allclose(one, x.matmul(weight.t()), 1e-4, 1e-5));
}

TEST(XnnpackLinear, LeavesGradientsAndOtherTypesToTorch) {
  const auto weight = torch::randn({8, 4}, torch::requires_grad());
  EXPECT_FALSE(xnnpack_linear(torch::randn({6, 4}), weight, {}).defined());
  torch::NoGradGuard no_grad;
  EXPECT_FALSE(xnnpack_linear(torch::randn({6, 4}, torch::kDouble), weight.to(torch::kDouble), {})
                   .defined());
  EXPECT_FALSE(xnnpack_linear(torch::randn({6, 4}), torch::randn({4, 8}).t(), {}).defined());
}

TEST(XnnpackAttention, MatchesSoftmaxAttentionOnViewsOfOneProjection) {
  torch::manual_seed(4);
  const int64_t batch = 2, heads = 3, length = 11, dh = 8;
  // q, k and v as MultiHeadAttention makes them: strided views of one [B, T, 3D] projection.
  const auto qkv = torch::randn({batch, length, 3 * heads * dh});
  const auto split = [&](int64_t part) {
    return qkv.narrow(2, part * heads * dh, heads * dh)
        .view({batch, length, heads, dh})
        .transpose(1, 2);
  };
  const auto q = split(0), k = split(1), v = split(2);
  const auto causal =
      torch::full({length, length}, -std::numeric_limits<float>::infinity()).triu(1);
  torch::NoGradGuard no_grad;
  for (const auto& mask : {torch::Tensor(), causal}) {
    const auto y = xnnpack_attention(q, k, v, mask, 0.35);
    ASSERT_TRUE(y.defined());
    EXPECT_EQ(y.sizes(), (std::vector<int64_t>{batch, length, heads * dh}));
    EXPECT_TRUE(torch::allclose(y, reference_attention(q, k, v, mask, 0.35), 1e-4, 1e-5))
        << (mask.defined() ? "causal" : "no mask");
  }
}

TEST(XnnpackAttention, SplitsTheQueriesWhenHeadsAreFewerThanTwicePerThread) {
  torch::manual_seed(6);
  const auto q = torch::randn({1, 3, 13, 8});  // 3 (batch, head) pairs on 2 threads: 2 parts each
  const auto k = torch::randn({1, 3, 13, 8}), v = torch::randn({1, 3, 13, 8});
  const auto causal = torch::full({13, 13}, -std::numeric_limits<float>::infinity()).triu(1);
  torch::NoGradGuard no_grad;
  ThreadCountScope two_threads(2);
  for (const auto& mask : {torch::Tensor(), causal}) {
    const auto y = xnnpack_attention(q, k, v, mask, 0.5);
    ASSERT_TRUE(y.defined());
    EXPECT_TRUE(torch::allclose(y, reference_attention(q, k, v, mask, 0.5), 1e-4, 1e-5))
        << (mask.defined() ? "causal" : "no mask");
  }
}

TEST(XnnpackAttention, AttendsToAnotherSequence) {
  torch::manual_seed(5);
  const auto q = torch::randn({1, 4, 6, 16});  // cross-attention: 6 queries, 29 memory tokens
  const auto k = torch::randn({1, 4, 29, 16}), v = torch::randn({1, 4, 29, 16});
  torch::NoGradGuard no_grad;
  const auto y = xnnpack_attention(q, k, v, {}, 0.25);
  ASSERT_TRUE(y.defined());
  EXPECT_TRUE(torch::allclose(y, reference_attention(q, k, v, {}, 0.25), 1e-4, 1e-5));
  EXPECT_FALSE(xnnpack_attention(q, k, v, torch::zeros({6, 28}), 0.25).defined());  // bad mask
}

}  // namespace
}  // namespace vedkit
