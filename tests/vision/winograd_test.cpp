#include "vision/inference/winograd.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "tests/support/relative_diff.h"

namespace vedkit {
namespace {

namespace F = torch::nn::functional;

// [N, C, H, W] <-> oneDNN's nChw8c: channels in blocks of 8, the 8 innermost.
torch::Tensor to_blocked(const torch::Tensor& x) {
  return x.view({x.size(0), x.size(1) / 8, 8, x.size(2), x.size(3)})
      .permute({0, 1, 3, 4, 2})
      .contiguous();
}
torch::Tensor from_blocked(const torch::Tensor& x) {
  return x.permute({0, 1, 4, 2, 3}).reshape({x.size(0), x.size(1) * 8, x.size(2), x.size(3)});
}

using testing::relative_diff;

winograd::Weights transformed(const torch::Tensor& weight) {
  const int64_t strides[4] = {weight.stride(0), weight.stride(1), weight.stride(2),
                              weight.stride(3)};
  return winograd::transform_weights(weight.data_ptr<float>(), strides, weight.size(0),
                                     weight.size(1));
}

struct Shape {
  int64_t batch, in, out, height, width;
};

TEST(Winograd, MatchesTorchsConvolutionOnEveryEdgeAndChannelCount) {
  if (!winograd::available()) GTEST_SKIP() << "this CPU lacks AVX2 and FMA";
  // Sides that are not multiples of the 4x4 tile, an out-channel count with half a 16-wide
  // panel, a single tile, and more tiles than a block.
  for (const Shape& s : {Shape{2, 16, 24, 7, 9}, Shape{1, 8, 8, 3, 2}, Shape{1, 32, 16, 4, 4},
                         Shape{3, 24, 40, 30, 17}}) {
    const auto x = torch::randn({s.batch, s.in, s.height, s.width});
    // Channels-last weights: transform_weights reads torch's strides, not a copy.
    const auto w =
        torch::randn({s.out, s.in, 3, 3}).contiguous(torch::MemoryFormat::ChannelsLast);
    const auto b = torch::randn({s.out});
    const auto src = to_blocked(x);
    auto dst = torch::empty({s.batch, s.out / 8, s.height, s.width, 8});
    winograd::Conv conv;
    conv.src = src.data_ptr<float>();
    conv.dst = dst.data_ptr<float>();
    conv.bias = b.data_ptr<float>();
    conv.batch = s.batch;
    conv.height = s.height;
    conv.width = s.width;
    const int64_t runs = winograd::runs();
    winograd::run(conv, transformed(w));
    EXPECT_EQ(winograd::runs(), runs + 1);
    const auto expected = F::conv2d(x, w, F::Conv2dFuncOptions().bias(b).padding(1));
    EXPECT_LT(relative_diff(from_blocked(dst), expected), 1e-5)
        << s.batch << "x" << s.in << "->" << s.out << " " << s.height << "x" << s.width;
  }
}

TEST(Winograd, AddsIntoTheDestinationAndAppliesReluWithoutBias) {
  if (!winograd::available()) GTEST_SKIP() << "this CPU lacks AVX2 and FMA";
  const auto x = torch::randn({2, 16, 12, 10});
  const auto w = torch::randn({16, 16, 3, 3});
  const auto residual = torch::randn({2, 16, 12, 10});
  const auto src = to_blocked(x);
  auto dst = to_blocked(residual);
  winograd::Conv conv;
  conv.src = src.data_ptr<float>();
  conv.dst = dst.data_ptr<float>();
  conv.batch = 2;
  conv.height = 12;
  conv.width = 10;
  conv.accumulate = true;
  conv.relu = true;
  winograd::run(conv, transformed(w));
  const auto expected = torch::relu(F::conv2d(x, w, F::Conv2dFuncOptions().padding(1)) + residual);
  EXPECT_LT(relative_diff(from_blocked(dst), expected), 1e-5);
  EXPECT_EQ(from_blocked(dst).min().item<float>(), 0.0f) << "relu left negatives";
}

TEST(Winograd, IsWorthwhileOnlyWithEnoughTiles) {
  EXPECT_TRUE(winograd::worthwhile(2, 8, 8));  // 8 tiles
  EXPECT_TRUE(winograd::worthwhile(1, 256, 256));
  EXPECT_FALSE(winograd::worthwhile(1, 8, 8));  // 4 tiles
}

}  // namespace
}  // namespace vedkit
