#include "vision/encoders/resnet.h"

#include <torch/nn/functional/activation.h>

#include "core/error.h"
#include "vision/inference/conv_graph_calibration.h"

namespace vedkit {
namespace {

namespace nn = torch::nn;

nn::Conv2d conv(int64_t in, int64_t out, int64_t kernel, int64_t stride, int64_t dilation = 1) {
  return nn::Conv2d(nn::Conv2dOptions(in, out, kernel)
                        .stride(stride)
                        .padding(kernel / 2 * dilation)
                        .dilation(dilation)
                        .bias(false));
}

std::vector<int64_t> blocks_per_stage(int64_t depth) {
  if (depth == 18) return {2, 2, 2, 2};
  if (depth == 101) return {3, 4, 23, 3};
  return {3, 4, 6, 3};
}

}  // namespace

ResNetOptions read_resnet_options(ConfigSection& section) {
  ResNetOptions options;
  options.depth = section.get_int("depth", options.depth);
  if (options.depth != 18 && options.depth != 34 && options.depth != 50 && options.depth != 101) {
    section.fail("depth", "expected one of 18, 34, 50, 101");
  }
  options.in_channels = section.get_int("in_channels", options.in_channels, {1, 64});
  options.width = section.get_int("width", options.width, {8, 256});
  options.stem_stride = section.get_int("stem_stride", options.stem_stride);
  if (options.stem_stride != 2 && options.stem_stride != 4) {
    section.fail("stem_stride", "expected 2 (no max-pool) or 4");
  }
  options.output_stride = section.get_int("output_stride", options.output_stride);
  if (options.output_stride != 8 && options.output_stride != 16 && options.output_stride != 32) {
    section.fail("output_stride", "expected 8, 16 or 32");
  }
  if (options.output_stride != 32 && options.depth < 50) {
    section.fail("output_stride", "dilation needs bottleneck blocks: use depth 50 or 101, or 32");
  }
  if (options.output_stride != 32 && options.stem_stride != 4) {
    section.fail("output_stride", "dilated stages go with torchvision's stem: use stem_stride 4");
  }
  return options;
}

ResidualBlockImpl::ResidualBlockImpl(int64_t in_channels, int64_t width, int64_t stride,
                                     bool bottleneck, int64_t dilation)
    : bottleneck_(bottleneck), out_channels_(bottleneck ? width * 4 : width) {
  if (bottleneck) {
    conv1 = register_module("conv1", conv(in_channels, width, 1, 1));
    bn1 = register_module("bn1", nn::BatchNorm2d(width));
    conv2 = register_module("conv2", conv(width, width, 3, stride, dilation));
    bn2 = register_module("bn2", nn::BatchNorm2d(width));
    conv3 = register_module("conv3", conv(width, out_channels_, 1, 1));
    bn3 = register_module("bn3", nn::BatchNorm2d(out_channels_));
  } else {
    conv1 = register_module("conv1", conv(in_channels, width, 3, stride));
    bn1 = register_module("bn1", nn::BatchNorm2d(width));
    conv2 = register_module("conv2", conv(width, width, 3, 1));
    bn2 = register_module("bn2", nn::BatchNorm2d(width));
  }
  if (stride != 1 || in_channels != out_channels_) {
    // torchvision names the projection shortcut downsample.0 (conv) and downsample.1 (bn).
    down_conv = conv(in_channels, out_channels_, 1, stride);
    down_bn = nn::BatchNorm2d(out_channels_);
    register_module("downsample", nn::Sequential(down_conv, down_bn));
  }
}

torch::Tensor ResidualBlockImpl::forward(const torch::Tensor& x) {
  auto y = torch::relu(conv_bn(x, conv1, bn1, folded_));
  y = conv_bn(y, conv2, bn2, folded_);
  if (bottleneck_) y = conv_bn(torch::relu(y), conv3, bn3, folded_);
  const auto shortcut = down_conv ? conv_bn(x, down_conv, down_bn, folded_) : x;
  return torch::relu(y + shortcut);
}

ConvGraph::Value ResidualBlockImpl::describe(ConvGraph& graph, ConvGraph::Value x) const {
  auto y = describe_conv(graph, x, conv1, true);
  if (bottleneck_) y = describe_conv(graph, y, conv2, true);
  const auto shortcut = down_conv ? describe_conv(graph, x, down_conv, false) : x;
  return describe_conv(graph, y, bottleneck_ ? conv3 : conv2, true, shortcut);
}

void ResidualBlockImpl::fold() {
  fold_conv_bn(conv1, bn1);
  fold_conv_bn(conv2, bn2);
  if (bottleneck_) fold_conv_bn(conv3, bn3);
  if (down_conv) fold_conv_bn(down_conv, down_bn);
  folded_ = true;
}

ResNetEncoderImpl::ResNetEncoderImpl(const ResNetOptions& options) : options_(options) {
  const bool bottleneck = options.depth >= 50;
  const auto blocks = blocks_per_stage(options.depth);
  conv1 =
      register_module("conv1", nn::Conv2d(nn::Conv2dOptions(options.in_channels, options.width, 7)
                                              .stride(2)
                                              .padding(3)
                                              .bias(false)));
  bn1 = register_module("bn1", nn::BatchNorm2d(options.width));
  if (options.stem_stride == 4) {
    maxpool =
        register_module("maxpool", nn::MaxPool2d(nn::MaxPool2dOptions(3).stride(2).padding(1)));
  }
  pyramid_.push_back({options.width, 2});

  int64_t channels = options.width;
  int64_t stride = options.stem_stride;
  int64_t dilation = 1;
  for (int64_t stage = 0; stage < 4; ++stage) {
    const int64_t width = options.width << stage;
    // As torchvision: a dilated stage's first block keeps the previous dilation, the rest
    // take the stage's.
    int64_t first_stride = stage > 0 ? 2 : 1;
    const int64_t first_dilation = dilation;
    if (first_stride == 2 && stride == options.output_stride) {
      dilation *= 2;
      first_stride = 1;
    }
    nn::Sequential layer;
    for (int64_t i = 0; i < blocks[stage]; ++i) {
      ResidualBlock block(channels, width, i == 0 ? first_stride : 1, bottleneck,
                          i == 0 ? first_dilation : dilation);
      channels = block->out_channels();
      layer->push_back(block);
    }
    stride *= first_stride;
    layers_.push_back(register_module("layer" + std::to_string(stage + 1), layer));
    pyramid_.push_back({channels, stride});
  }
}

std::vector<torch::Tensor> ResNetEncoderImpl::forward(const torch::Tensor& images) {
  TORCH_CHECK(images.dim() == 4 && images.size(1) == options_.in_channels,
              "ResNet encoder: expected [B, ", options_.in_channels, ", H, W] images, got ",
              images.sizes());
  auto levels = pyramid_graph_.run(images, is_training());
  if (!levels.empty()) return levels;
  auto x = torch::relu(conv_bn(images, conv1, bn1, folded_));  // [B, width, H/2, W/2]
  levels.push_back(x);
  if (maxpool) x = maxpool->forward(x);
  for (auto& layer : layers_) {
    x = layer->forward(x);
    levels.push_back(x);
  }
  return levels;
}

torch::Tensor ResNetEncoderImpl::tokens(const torch::Tensor& images) {
  auto outputs = last_level_graph_.run(images, is_training());
  const auto last = outputs.empty() ? forward(images).back() : outputs.front();
  return last.flatten(2).transpose(1, 2);  // [B, C, h, w] -> [B, h*w, C]
}

std::vector<ConvGraph::Value> ResNetEncoderImpl::describe(ConvGraph& graph,
                                                          ConvGraph::Value images) const {
  if (!folded_ || conv1->weight.scalar_type() != torch::kFloat) return {};
  std::vector<ConvGraph::Value> levels = {
      describe_conv(graph, images, conv1, true)};  // [B, width, H/2, W/2]
  auto x = maxpool ? graph.max_pool(levels[0], 3, 2, 1) : levels[0];
  for (const auto& layer : layers_) {
    for (const auto& block : *layer) x = block.get<ResidualBlockImpl>().describe(graph, x);
    levels.push_back(x);
  }
  return levels;
}

void ResNetEncoderImpl::use_int8(std::vector<float> ranges) {
  check_int8_ranges(*pyramid_graph(), ranges);
  last_level_graph_.set_int8_ranges(ranges);
  pyramid_graph_.set_int8_ranges(std::move(ranges));
}

std::shared_ptr<ConvGraph> ResNetEncoderImpl::describe_levels(bool all) const {
  auto graph = std::make_shared<ConvGraph>();
  const auto levels = describe(*graph, graph->input(options_.in_channels));
  if (levels.empty()) return nullptr;
  if (!all) {
    graph->output(levels.back());
    return graph;
  }
  for (const auto level : levels) graph->output(level);
  return graph;
}

void ResNetEncoderImpl::fold_for_inference() {
  if (folded_) return;
  fold_conv_bn(conv1, bn1);
  for (auto& layer : layers_) {
    for (auto& block : *layer) block.get<ResidualBlockImpl>().fold();
  }
  folded_ = true;
}

std::string ResNetEncoderImpl::load_torchvision(const StateDict& state) {
  if (folded_) throw Error("ResNet encoder: load weights before folding batch-norm");
  std::string note;
  copy_state(*this, state, {"fc."}, [&](const std::string& name, const at::Tensor& tensor) {
    if (name != "conv1.weight") return tensor;
    return adapt_input_filters(tensor, options_.in_channels, name, note);
  });
  return note;
}

}  // namespace vedkit
