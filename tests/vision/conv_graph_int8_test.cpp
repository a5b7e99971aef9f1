#include <gtest/gtest.h>
#include <torch/torch.h>

#include "tests/support/relative_diff.h"
#include "vision/encoders/encoder.h"
#include "vision/inference/conv_graph.h"
#include "vision/inference/conv_graph_calibration.h"
#include "vision/inference/conv_graph_eager.h"
#include "vision/inference/conv_graph_runner.h"
#include "vision/inference/int8_weights.h"

namespace vedkit {
namespace {

using testing::relative_diff;

// The U-Net's ops: a signed input, convolutions with and without ReLU, a residual, max
// pooling, nearest upsampling, a concatenation, and a last convolution the caller reads in
// float32; plus a hard-swish one, whose activation must see real values.
struct SmallNet {
  torch::Tensor w1 = torch::randn({16, 3, 3, 3}) / 4, b1 = torch::randn({16}) / 4;
  torch::Tensor w2 = torch::randn({16, 16, 3, 3}) / 12, b2 = torch::randn({16}) / 4;
  torch::Tensor w3 = torch::randn({16, 16, 1, 1}) / 4;
  torch::Tensor w4 = torch::randn({8, 32, 3, 3}) / 16, b4 = torch::randn({8});
  std::shared_ptr<ConvGraph> graph = std::make_shared<ConvGraph>();

  SmallNet() {
    const auto x = graph->input(3);
    const auto a = graph->conv(x, w1, b1, 1, 1, true);
    const auto pooled = graph->max_pool(a, 3, 2, 1);
    const auto signed_branch = graph->conv(pooled, w3, {}, 1, 0, false);
    const auto b = graph->conv(pooled, w2, b2, 1, 1, true, signed_branch);
    const auto up = graph->upsample_nearest(b, a);
    graph->output(graph->conv(graph->concat(up, a), w4, b4, 1, 1, false));
    graph->output(graph->conv(b, w3, {}, 1, 0, Activation::kHardswish));
  }
};

// The float32 graph op by op, as calibration runs it.
std::vector<torch::Tensor> eager_outputs(const ConvGraph& graph, const torch::Tensor& images) {
  std::vector<torch::Tensor> values(graph.ops().size());
  run_conv_graph_eagerly(graph, images,
                         [&](ConvGraph::Value v, const torch::Tensor& t) { values[v] = t; });
  std::vector<torch::Tensor> outputs;
  for (auto v : graph.outputs()) outputs.push_back(values[v]);
  return outputs;
}

TEST(ConvGraphInt8, EagerReferenceMatchesTheFloatGraph) {
  if (!ConvGraphRunner::available()) GTEST_SKIP() << "built without oneDNN";
  torch::manual_seed(0);
  SmallNet net;
  const auto images = torch::randn({2, 3, 20, 24});
  const auto expected = ConvGraphRunner(net.graph).run(images);
  const auto eager = eager_outputs(*net.graph, images);
  ASSERT_EQ(eager.size(), expected.size());
  for (size_t i = 0; i < eager.size(); ++i)
    EXPECT_LT(relative_diff(eager[i], expected[i]), 1e-5) << i;
}

TEST(ConvGraphInt8, CalibrationIsDeterministicAndSeesEveryValue) {
  torch::manual_seed(0);
  SmallNet net;
  const auto first = torch::randn({2, 3, 20, 24}), second = torch::randn({3, 3, 20, 24}) * 2;
  ConvGraphCalibration a(*net.graph), b(*net.graph);
  for (auto* calibration : {&a, &b}) {
    calibration->observe(first);
    calibration->observe(second);
  }
  EXPECT_EQ(a.ranges(), b.ranges());
  EXPECT_FLOAT_EQ(a.ranges()[0], torch::cat({first, second}).abs().max().item<float>());
  for (size_t v = 0; v < a.ranges().size(); ++v) EXPECT_GT(a.ranges()[v], 0.0f) << "value " << v;
}

TEST(ConvGraphInt8, WeightsRoundPerOutputChannel) {
  const auto weight =
      torch::tensor({1.0f, -0.5f, 0.25f, 0.0f, 0.0f, 0.0f, -2.54f, 1.0f}).view({4, 2, 1, 1});
  const auto scales = int8_weight_scales(weight);
  ASSERT_EQ(scales.size(), 4u);
  EXPECT_FLOAT_EQ(scales[0], 1.0f / 127);
  EXPECT_FLOAT_EQ(scales[1], 0.25f / 127);
  EXPECT_FLOAT_EQ(scales[2], 1.0f);  // all zero
  EXPECT_FLOAT_EQ(scales[3], 2.54f / 127);
  const auto q = int8_weights(weight, scales).flatten();
  EXPECT_EQ(q.scalar_type(), torch::kChar);
  EXPECT_EQ(q[0].item<int>(), 127);
  EXPECT_EQ(q[1].item<int>(), -64);  // -63.5 rounds to even
  EXPECT_EQ(q[2].item<int>(), 127);
  EXPECT_EQ(q[6].item<int>(), -127);
  EXPECT_EQ(q[7].item<int>(), 50);
}

// Calibrated on some images, run on others of the same kind: within int8's error of the
// float32 graph (a few hundredths of the outputs' range after five layers), and not equal to
// it (the int8 kernels ran).
TEST(ConvGraphInt8, QuantizedGraphStaysWithinQuantizationErrorOfFloat) {
  if (!ConvGraphRunner::available()) GTEST_SKIP() << "built without oneDNN";
  torch::manual_seed(0);
  SmallNet net;
  ConvGraphCalibration calibration(*net.graph);
  calibration.observe(torch::randn({8, 3, 20, 24}));
  ConvGraphRunner float_runner(net.graph), int8_runner(net.graph, calibration.ranges());
  for (int64_t batch : {1, 3}) {
    const auto images = torch::randn({batch, 3, 20, 24});
    const auto expected = float_runner.run(images);
    const auto out = int8_runner.run(images);
    ASSERT_EQ(out.size(), 2u);
    for (size_t i = 0; i < out.size(); ++i) {
      ASSERT_EQ(out[i].sizes(), expected[i].sizes());
      const double diff = relative_diff(out[i], expected[i]);
      const double mean_diff =
          ((out[i] - expected[i]).abs().mean() / expected[i].abs().max()).item<double>();
      EXPECT_LT(diff, 0.05) << "output " << i << " batch " << batch;
      EXPECT_LT(mean_diff, 0.01) << "output " << i << " batch " << batch;
      EXPECT_GT(diff, 1e-4) << "output " << i << " batch " << batch << ": float32 ran, not int8";
    }
  }
}

// MobileNetV3's and the torchvision heads' ops: depthwise and dilated convolutions, a
// squeeze-excitation (mean and channel scale, run in float32 between int8 convolutions) and a
// bilinear resize to the output.
TEST(ConvGraphInt8, DepthwiseDilatedAndSqueezeExcitationMixInt8AndFloat) {
  if (!ConvGraphRunner::available()) GTEST_SKIP() << "built without oneDNN";
  torch::manual_seed(0);
  const auto w1 = torch::randn({16, 3, 3, 3}) / 4, b1 = torch::randn({16}) / 4;
  const auto depthwise = torch::randn({16, 1, 3, 3}) / 3, b2 = torch::randn({16}) / 4;
  const auto fc = torch::randn({16, 16, 1, 1}) / 4, fc_bias = torch::randn({16});
  const auto dilated = torch::randn({8, 16, 3, 3}) / 12, b3 = torch::randn({8}) / 4;
  auto graph = std::make_shared<ConvGraph>();
  const auto x = graph->input(3);
  const auto a = graph->conv(x, w1, b1, 2, 1, Activation::kHardswish);
  const auto d = graph->conv(a, depthwise, b2, 1, 1, Activation::kReLU, ConvGraph::kNone, 1, 16);
  const auto gate = graph->conv(graph->mean(d), fc, fc_bias, 1, 0, Activation::kHardsigmoid);
  const auto e =
      graph->conv(graph->scale(d, gate), dilated, b3, 1, 2, Activation::kNone, ConvGraph::kNone, 2);
  graph->output(graph->resize_bilinear(e, x));
  ConvGraphCalibration calibration(*graph);
  calibration.observe(torch::randn({8, 3, 33, 40}));
  ConvGraphRunner float_runner(graph), int8_runner(graph, calibration.ranges());
  for (int64_t batch : {1, 2}) {
    const auto images = torch::randn({batch, 3, 33, 40});
    const auto expected = float_runner.run(images);
    const auto out = int8_runner.run(images);
    ASSERT_EQ(out.size(), 1u);
    ASSERT_EQ(out[0].sizes(), expected[0].sizes());
    const double mean_diff =
        ((out[0] - expected[0]).abs().mean() / expected[0].abs().max()).item<double>();
    EXPECT_LT(mean_diff, 0.01) << "batch " << batch;
    EXPECT_LT(relative_diff(out[0], expected[0]), 0.05) << "batch " << batch;
    EXPECT_GT(relative_diff(out[0], expected[0]), 1e-4)
        << "batch " << batch << ": float32 ran, not int8";
  }
}

// An encoder's pyramid, int8 against float32, on one-channel and three-channel images: every
// level (int8 values scaled back, and the last one given in float32) within int8's error.
TEST(ConvGraphInt8, ResNetPyramidStaysWithinQuantizationErrorOfFloat) {
  if (!ConvGraphRunner::available()) GTEST_SKIP() << "built without oneDNN";
  for (int64_t channels : {1, 3}) {
    torch::manual_seed(0);
    auto config = Config::from_text(
        "{type: resnet, depth: 18, width: 16, in_channels: " + std::to_string(channels) + "}",
        "encoder.yaml");
    auto encoder = build_encoder(config.root());
    encoder->eval();
    encoder->fold_for_inference();
    torch::NoGradGuard no_grad;
    const auto calibration = torch::randn({4, channels, 32, 32});
    const auto images = torch::randn({2, channels, 32, 32});
    const auto expected = encoder->forward(images);
    encoder->use_int8(encoder->calibrate_int8({calibration}));
    const auto levels = encoder->forward(images);
    ASSERT_EQ(levels.size(), expected.size());
    for (size_t i = 0; i < levels.size(); ++i) {
      const double mean_diff =
          ((levels[i] - expected[i]).abs().mean() / expected[i].abs().max()).item<double>();
      EXPECT_LT(mean_diff, 0.02) << "level " << i << ", " << channels << " channels";
      EXPECT_GT(relative_diff(levels[i], expected[i]), 1e-4)
          << "level " << i << ": float32 ran, not int8";
    }
  }
}

}  // namespace
}  // namespace vedkit
