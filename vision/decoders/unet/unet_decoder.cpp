#include "vision/decoders/unet/unet_decoder.h"

#include <torch/nn/functional/upsampling.h>

#include "vision/layers/conv_bn.h"

namespace vedkit {
namespace {

namespace nn = torch::nn;
namespace F = torch::nn::functional;

nn::Conv2d conv3x3(int64_t in, int64_t out) {
  return nn::Conv2d(nn::Conv2dOptions(in, out, 3).padding(1).bias(false));
}

}  // namespace

int64_t doublings_to_full_resolution(int64_t stride) {
  int64_t count = 0;
  for (int64_t s = stride; s > 1; s /= 2) ++count;
  return count;
}

int64_t unet_block_count(const std::vector<PyramidLevel>& pyramid) {
  return static_cast<int64_t>(pyramid.size()) - 1 +
         doublings_to_full_resolution(pyramid.front().stride);
}

UnetDecoderOptions read_unet_decoder_options(ConfigSection& section,
                                             const std::vector<PyramidLevel>& pyramid) {
  UnetDecoderOptions options;
  const int64_t blocks = unet_block_count(pyramid);
  std::vector<int64_t> fallback = options.channels;
  fallback.resize(blocks, fallback.back());
  options.channels = section.get_ints("channels", fallback, {1, 4096});
  if (static_cast<int64_t>(options.channels.size()) != blocks) {
    section.fail("channels", "expected " + std::to_string(blocks) +
                                 " entries, one per decoder block for this encoder's pyramid");
  }
  return options;
}

UnetDecoderBlockImpl::UnetDecoderBlockImpl(int64_t in_channels, int64_t skip_channels,
                                           int64_t out_channels) {
  conv1 = register_module("conv1", conv3x3(in_channels + skip_channels, out_channels));
  bn1 = register_module("bn1", nn::BatchNorm2d(out_channels));
  conv2 = register_module("conv2", conv3x3(out_channels, out_channels));
  bn2 = register_module("bn2", nn::BatchNorm2d(out_channels));
}

torch::Tensor UnetDecoderBlockImpl::forward(const torch::Tensor& x, const torch::Tensor& skip) {
  std::vector<int64_t> size = {x.size(2) * 2, x.size(3) * 2};
  if (skip.defined()) size = {skip.size(2), skip.size(3)};
  auto y = F::interpolate(x, F::InterpolateFuncOptions().size(size).mode(torch::kNearest));
  if (skip.defined()) y = torch::cat({y, skip}, 1);  // [B, C + C_skip, h, w]
  y = torch::relu(conv_bn(y, conv1, bn1, folded_));
  return torch::relu(conv_bn(y, conv2, bn2, folded_));
}

ConvGraph::Value UnetDecoderBlockImpl::describe(ConvGraph& graph, ConvGraph::Value x,
                                                ConvGraph::Value skip) const {
  auto y = skip == ConvGraph::kNone
               ? graph.upsample_nearest(x)
               : graph.concat(graph.upsample_nearest(x, skip), skip);
  y = describe_conv(graph, y, conv1, true);
  return describe_conv(graph, y, conv2, true);
}

void UnetDecoderBlockImpl::fold() {
  if (folded_) return;
  fold_conv_bn(conv1, bn1);
  fold_conv_bn(conv2, bn2);
  folded_ = true;
}

UnetDecoderImpl::UnetDecoderImpl(const std::vector<PyramidLevel>& pyramid,
                                 const UnetDecoderOptions& options)
    : options_(options) {
  blocks = register_module("blocks", nn::ModuleList());
  int64_t channels = pyramid.back().channels;
  for (size_t i = 0; i < options.channels.size(); ++i) {
    // Block i merges pyramid level (levels - 2 - i) while there is one.
    const int64_t skip_index = static_cast<int64_t>(pyramid.size()) - 2 - static_cast<int64_t>(i);
    const int64_t skip_channels = skip_index >= 0 ? pyramid[skip_index].channels : 0;
    blocks->push_back(UnetDecoderBlock(channels, skip_channels, options.channels[i]));
    channels = options.channels[i];
  }
}

torch::Tensor UnetDecoderImpl::forward(const std::vector<torch::Tensor>& levels) {
  auto x = levels.back();
  for (size_t i = 0; i < blocks->size(); ++i) {
    const int64_t skip_index = static_cast<int64_t>(levels.size()) - 2 - static_cast<int64_t>(i);
    const torch::Tensor skip = skip_index >= 0 ? levels[skip_index] : torch::Tensor();
    x = blocks[i]->as<UnetDecoderBlockImpl>()->forward(x, skip);
  }
  return x;
}

ConvGraph::Value UnetDecoderImpl::describe(ConvGraph& graph,
                                           const std::vector<ConvGraph::Value>& levels) const {
  auto x = levels.back();
  for (size_t i = 0; i < blocks->size(); ++i) {
    const auto& block = *blocks->ptr(i)->as<UnetDecoderBlockImpl>();
    if (!block.folded()) return ConvGraph::kNone;
    const int64_t skip_index = static_cast<int64_t>(levels.size()) - 2 - static_cast<int64_t>(i);
    x = block.describe(graph, x, skip_index >= 0 ? levels[skip_index] : ConvGraph::kNone);
  }
  return x;
}

void UnetDecoderImpl::fold_for_inference() {
  for (auto& block : *blocks) block->as<UnetDecoderBlockImpl>()->fold();
}

}  // namespace vedkit
