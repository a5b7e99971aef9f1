#pragma once

#include <torch/nn/modules/batchnorm.h>
#include <torch/nn/modules/container/modulelist.h>
#include <torch/nn/modules/conv.h>

#include <vector>

#include "core/config.h"
#include "vision/encoders/encoder.h"

namespace vedkit {

struct UnetDecoderOptions {
  // One entry per block, coarsest first: a block per finer pyramid level (merging it as a
  // skip), then plain x2 blocks until stride 1. ResNet and ViT pyramids both take five.
  std::vector<int64_t> channels = {256, 128, 64, 32, 16};
};

UnetDecoderOptions read_unet_decoder_options(ConfigSection& section,
                                             const std::vector<PyramidLevel>& pyramid);

// How many x2 upsamplings take a map at `stride` back to the input's resolution.
int64_t doublings_to_full_resolution(int64_t stride);

// How many blocks a pyramid needs: one per level finer than the coarsest, then one per
// doubling from the finest stride down to 1.
int64_t unet_block_count(const std::vector<PyramidLevel>& pyramid);

// Upsample to the skip's size (or x2 without one), concatenate the skip, two 3x3
// convolution + batch-norm + ReLU.
class UnetDecoderBlockImpl : public torch::nn::Module {
 public:
  UnetDecoderBlockImpl(int64_t in_channels, int64_t skip_channels, int64_t out_channels);
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& skip);
  void fold();
  bool folded() const { return folded_; }
  // Once folded; skip may be ConvGraph::kNone.
  ConvGraph::Value describe(ConvGraph& graph, ConvGraph::Value x, ConvGraph::Value skip) const;

 private:
  bool folded_ = false;
  torch::nn::Conv2d conv1{nullptr}, conv2{nullptr};
  torch::nn::BatchNorm2d bn1{nullptr}, bn2{nullptr};
};
TORCH_MODULE(UnetDecoderBlock);

// Built from an encoder's declared pyramid alone; returns features at input resolution.
class UnetDecoderImpl : public torch::nn::Module {
 public:
  UnetDecoderImpl(const std::vector<PyramidLevel>& pyramid, const UnetDecoderOptions& options);
  torch::Tensor forward(const std::vector<torch::Tensor>& levels);
  int64_t out_channels() const { return options_.channels.back(); }
  void fold_for_inference();
  // Once folded: the decoder on the encoder's described levels; kNone where not folded.
  ConvGraph::Value describe(ConvGraph& graph, const std::vector<ConvGraph::Value>& levels) const;

 private:
  UnetDecoderOptions options_;
  torch::nn::ModuleList blocks{nullptr};
};
TORCH_MODULE(UnetDecoder);

}  // namespace vedkit
