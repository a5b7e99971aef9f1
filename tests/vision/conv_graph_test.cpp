#include "vision/inference/conv_graph.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "tests/support/relative_diff.h"
#include "vision/encoders/resnet.h"
#include "vision/inference/conv_graph_runner.h"
#include "vision/inference/lazy_conv_graph.h"
#include "vision/inference/winograd.h"
#include "vision/segmentation/segmentation_model.h"

namespace vedkit {
namespace {

// Turns the oneDNN path on or off for one scope.
class ConvGraphSwitch {
 public:
  explicit ConvGraphSwitch(bool on) : was_(conv_graph_enabled()) { set_conv_graph_enabled(on); }
  ~ConvGraphSwitch() { set_conv_graph_enabled(was_); }

 private:
  bool was_;
};

// Largest difference relative to the largest value: the 1e-4 bound.
using testing::relative_diff;

// Batch-norm statistics away from the identity, so folding changes every weight.
void randomise_batch_norm(torch::nn::Module& model) {
  torch::NoGradGuard no_grad;
  for (auto& buffer : model.named_buffers()) {
    if (buffer.key().find("running_var") != std::string::npos) buffer.value().uniform_(0.5, 2);
    if (buffer.key().find("running_mean") != std::string::npos) buffer.value().uniform_(-0.2, 0.2);
  }
  for (auto& parameter : model.named_parameters()) {
    if (parameter.key().find("bn") != std::string::npos) parameter.value().uniform_(0.5, 1.5);
  }
}

SegmentationModel segmenter(const std::string& encoder, int64_t classes = 5) {
  auto config = Config::from_text("model:\n  encoder: " + encoder + "\n  decoder: {num_classes: " +
                                      std::to_string(classes) + "}\n",
                                  "model.yaml");
  auto model = build_segmentation_model(config.section("model"));
  randomise_batch_norm(*model);
  model->prepare_for_inference();
  return model;
}

torch::Tensor eager(const std::function<torch::Tensor()>& pass) {
  ConvGraphSwitch off(false);
  return pass();
}

TEST(ConvGraph, SegmentationModelsMatchTheEagerPath) {
  if (!ConvGraphRunner::available()) GTEST_SKIP() << "built without oneDNN";
  const std::vector<std::string> encoders = {
      "{type: resnet, depth: 18, width: 16}",
      "{type: resnet, depth: 18, width: 24, stem_stride: 2}",  // the bundled segmenter's shape
      "{type: resnet, depth: 50, width: 8, in_channels: 1}"};
  for (const auto& encoder : encoders) {
    auto model = segmenter(encoder);
    // Batch 1 writes the U-Net's concatenations in place; batch 2 copies them.
    for (const auto& shape : {std::vector<int64_t>{1, model->in_channels(), 64, 96},
                              std::vector<int64_t>{2, model->in_channels(), 128, 64}}) {
      torch::InferenceMode inference;
      const auto images = torch::rand(shape);
      const auto expected = eager([&] { return model->forward(images); });
      const int64_t passes = conv_graph_passes();
      const auto actual = model->forward(images);
      EXPECT_EQ(conv_graph_passes(), passes + 1) << encoder << ": the graph did not run";
      ASSERT_EQ(actual.sizes(), expected.sizes());
      EXPECT_LT(relative_diff(actual, expected), 1e-4) << encoder << " " << images.sizes();
      EXPECT_TRUE(actual.equal(model->forward(images))) << "a second pass differs";
    }
  }
}

TEST(ConvGraph, ResNetPyramidAndTokensMatchTheEagerPath) {
  if (!ConvGraphRunner::available()) GTEST_SKIP() << "built without oneDNN";
  for (int64_t depth : {18, 50}) {
    for (int64_t stem_stride : {4, 2}) {
      ResNetOptions options;
      options.depth = depth;
      options.width = 16;
      options.stem_stride = stem_stride;
      auto encoder = std::make_shared<ResNetEncoderImpl>(options);
      randomise_batch_norm(*encoder);
      encoder->eval();
      encoder->fold_for_inference();
      torch::InferenceMode inference;
      const auto images = torch::randn({2, 3, 70, 50});  // no multiple of 32: odd map sizes
      std::vector<torch::Tensor> expected;
      {
        ConvGraphSwitch off(false);
        expected = encoder->forward(images);
      }
      const auto levels = encoder->forward(images);
      ASSERT_EQ(levels.size(), expected.size());
      for (size_t i = 0; i < levels.size(); ++i) {
        ASSERT_EQ(levels[i].sizes(), expected[i].sizes()) << "level " << i;
        EXPECT_LT(relative_diff(levels[i], expected[i]), 1e-4)
            << "depth " << depth << " level " << i;
      }
      const auto tokens = encoder->tokens(images);
      EXPECT_LT(relative_diff(tokens, expected.back().flatten(2).transpose(1, 2)), 1e-4);
    }
  }
}

TEST(ConvGraph, FollowsWeightsChangedAfterItWasBuilt) {
  if (!ConvGraphRunner::available()) GTEST_SKIP() << "built without oneDNN";
  auto model = segmenter("{type: resnet, depth: 18, width: 8}", 3);
  torch::InferenceMode inference;
  const auto images = torch::rand({1, 3, 64, 64});
  const auto before = model->forward(images);
  for (auto& parameter : model->parameters()) {
    if (parameter.dim() == 4) {
      parameter.mul_(-1);
      break;
    }
  }
  const auto expected = eager([&] { return model->forward(images); });
  const auto after = model->forward(images);
  EXPECT_GT(relative_diff(after, before), 1e-2) << "the change should matter";
  EXPECT_LT(relative_diff(after, expected), 1e-4);
}

TEST(ConvGraph, TrainingGradientsAndBfloat16TakeTheEagerPath) {
  if (!ConvGraphRunner::available()) GTEST_SKIP() << "built without oneDNN";
  auto model = segmenter("{type: resnet, depth: 18, width: 8}", 3);
  const auto images = torch::rand({1, 3, 64, 64});
  const int64_t passes = conv_graph_passes();
  {
    torch::NoGradGuard no_grad;
    model->train();
    model->forward(images);
    model->eval();
  }
  const auto logits = model->forward(images);  // gradients on
  EXPECT_TRUE(logits.requires_grad());
  EXPECT_EQ(conv_graph_passes(), passes);
  torch::InferenceMode inference;
  model->forward(images);
  EXPECT_EQ(conv_graph_passes(), passes + 1);
  model->to(torch::kBFloat16);
  EXPECT_EQ(model->forward(images.to(torch::kBFloat16)).scalar_type(), torch::kBFloat16);
  EXPECT_EQ(conv_graph_passes(), passes + 1);
}

TEST(ConvGraph, AShapeItCannotRunAnswersNothing) {
  if (!ConvGraphRunner::available()) GTEST_SKIP() << "built without oneDNN";
  auto graph = std::make_shared<ConvGraph>();
  const auto x = graph->input(3);
  const auto y = graph->conv(x, torch::randn({8, 3, 3, 3}), torch::randn({8}), 3, 1, true);
  graph->output(graph->upsample_nearest(y, x));  // 10 -> 4 -> 10: not a whole factor
  ConvGraphRunner runner(graph);
  EXPECT_TRUE(runner.run(torch::rand({1, 3, 10, 10})).empty());
  EXPECT_TRUE(runner.run(torch::rand({1, 4, 12, 12})).empty()) << "wrong channel count";
  const auto out = runner.run(torch::rand({1, 3, 12, 12}));  // 12 -> 4 -> 12
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].sizes(), (torch::IntArrayRef{1, 8, 12, 12}));
}

void fused_residual_pool_resize_and_concat_match_torch() {
  namespace F = torch::nn::functional;
  const auto w1 = torch::randn({16, 3, 3, 3}), b1 = torch::randn({16});
  const auto w2 = torch::randn({16, 16, 3, 3}),
             w3 = torch::randn({8, 32, 1, 1}).contiguous(torch::MemoryFormat::ChannelsLast);
  auto graph = std::make_shared<ConvGraph>();
  const auto x = graph->input(3);
  const auto a = graph->conv(x, w1, b1, 1, 1, true);
  const auto pooled = graph->max_pool(a, 3, 2, 1);
  const auto b = graph->conv(pooled, w2, {}, 1, 1, true, pooled);  // relu(conv + residual)
  const auto up = graph->upsample_nearest(b, a);
  graph->output(graph->conv(graph->concat(up, a), w3, {}, 1, 0, false));
  graph->output(b);
  ConvGraphRunner runner(graph);
  for (int64_t batch : {1, 3}) {
    const auto images = torch::randn({batch, 3, 20, 24});
    const auto ta = torch::relu(F::conv2d(images, w1, F::Conv2dFuncOptions().bias(b1).padding(1)));
    const auto tp = F::max_pool2d(ta, F::MaxPool2dFuncOptions(3).stride(2).padding(1));
    const auto tb = torch::relu(F::conv2d(tp, w2, F::Conv2dFuncOptions().padding(1)) + tp);
    const auto tu = F::interpolate(
        tb, F::InterpolateFuncOptions().size(std::vector<int64_t>{20, 24}).mode(torch::kNearest));
    const auto expected = F::conv2d(torch::cat({tu, ta}, 1), w3);
    const auto out = runner.run(images);
    ASSERT_EQ(out.size(), 2u);
    EXPECT_LT(relative_diff(out[0], expected), 1e-5) << "batch " << batch;
    EXPECT_LT(relative_diff(out[1], tb), 1e-5) << "batch " << batch;
  }
}

// Whether plans on this CPU take Winograd's algorithm: where oneDNN's kernels want 8-channel
// blocks, AVX2 without AVX-512.
bool plans_take_winograd() {
  __builtin_cpu_init();
  return winograd::enabled() && !__builtin_cpu_supports("avx512f");
}

TEST(ConvGraph, FusedResidualPoolResizeAndConcatMatchTorch) {
  if (!ConvGraphRunner::available()) GTEST_SKIP() << "built without oneDNN";
  for (bool winograd_on : {true, false}) {
    const bool was = winograd::enabled();
    winograd::set_enabled(winograd_on);
    const int64_t runs = winograd::runs();
    fused_residual_pool_resize_and_concat_match_torch();
    if (winograd_on && plans_take_winograd()) {  // batch 3's 10x12 maps have 27 tiles
      EXPECT_GT(winograd::runs(), runs) << "no convolution took Winograd's algorithm";
    } else {
      EXPECT_EQ(winograd::runs(), runs);
    }
    winograd::set_enabled(was);
  }
}

// What MobileNetV3, LR-ASPP and DeepLabV3 need: grouped (depthwise) and dilated convolutions,
// hard-swish, sigmoid and hard-sigmoid fused, a squeeze-excitation (mean, then a scale per
// channel) and a bilinear resize to the output, on channel counts that fill no whole block.
TEST(ConvGraph, DepthwiseDilatedActivationsScaleAndBilinearMatchTorch) {
  if (!ConvGraphRunner::available()) GTEST_SKIP() << "built without oneDNN";
  namespace F = torch::nn::functional;
  const auto w1 = torch::randn({12, 3, 3, 3}), b1 = torch::randn({12});
  const auto depthwise = torch::randn({12, 1, 5, 5}) / 5, b2 = torch::randn({12});
  const auto dilated = torch::randn({10, 12, 3, 3}) / 6;
  const auto fc = torch::randn({12, 12, 1, 1}) / 3, fc_bias = torch::randn({12});
  auto graph = std::make_shared<ConvGraph>();
  const auto x = graph->input(3);
  const auto a = graph->conv(x, w1, b1, 2, 1, Activation::kHardswish);
  const auto d = graph->conv(a, depthwise, b2, 1, 2, Activation::kReLU, ConvGraph::kNone, 1, 12);
  const auto gate = graph->conv(graph->mean(d), fc, fc_bias, 1, 0, Activation::kHardsigmoid);
  const auto squeezed = graph->scale(d, gate);
  const auto e =
      graph->conv(squeezed, dilated, {}, 1, 4, Activation::kSigmoid, ConvGraph::kNone, 4);
  graph->output(graph->resize_bilinear(e, x));
  // A rate past the map's size: only the centre taps meet the map (planned as a 1x1).
  const auto wide = torch::randn({8, 12, 3, 3}), wide_bias = torch::randn({8});
  graph->output(
      graph->conv(squeezed, wide, wide_bias, 1, 24, Activation::kNone, ConvGraph::kNone, 24));
  ConvGraphRunner runner(graph);
  for (int64_t batch : {1, 2}) {
    const auto images = torch::randn({batch, 3, 37, 30});
    const auto ta = torch::hardswish(
        F::conv2d(images, w1, F::Conv2dFuncOptions().bias(b1).stride(2).padding(1)));
    const auto td = torch::relu(
        F::conv2d(ta, depthwise, F::Conv2dFuncOptions().bias(b2).padding(2).groups(12)));
    const auto tgate = torch::hardsigmoid(
        F::conv2d(td.mean({2, 3}, true), fc, F::Conv2dFuncOptions().bias(fc_bias)));
    const auto te = torch::sigmoid(
        F::conv2d(td * tgate, dilated, F::Conv2dFuncOptions().padding(4).dilation(4)));
    const auto expected = F::interpolate(te, F::InterpolateFuncOptions()
                                                 .size(std::vector<int64_t>{37, 30})
                                                 .mode(torch::kBilinear)
                                                 .align_corners(false));
    const auto tw = F::conv2d(td * tgate, wide,
                              F::Conv2dFuncOptions().bias(wide_bias).padding(24).dilation(24));
    const auto out = runner.run(images);
    ASSERT_EQ(out.size(), 2u);
    ASSERT_EQ(out[0].sizes(), expected.sizes());
    EXPECT_LT(relative_diff(out[0], expected), 1e-5) << "batch " << batch;
    ASSERT_EQ(out[1].sizes(), tw.sizes());
    EXPECT_LT(relative_diff(out[1], tw), 1e-5) << "batch " << batch;
  }
}

}  // namespace
}  // namespace vedkit
