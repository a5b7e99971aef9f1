#include "vision/autoencoder/reconstruction_decoder.h"

#include <torch/torch.h>

#include "vision/decoders/unet/unet_decoder.h"

namespace vedkit {

namespace nn = torch::nn;

ReconstructionDecoderOptions read_reconstruction_decoder_options(ConfigSection& section,
                                                                 const PyramidLevel& bottleneck) {
  ReconstructionDecoderOptions options;
  options.latent = section.get_string("latent", options.latent, {"channels", "vector"});
  options.latent_size = section.get_int("latent_size", options.latent_size, {1, 1 << 20});
  int64_t start = bottleneck.stride;
  if (options.latent == "vector") {
    start = section.get_int("start_stride", bottleneck.stride, {1, bottleneck.stride});
    if ((start & (start - 1)) != 0) section.fail("start_stride", "expected a power of 2");
    options.start_stride = start;
  }
  const int64_t blocks = doublings_to_full_resolution(start);
  auto fallback = options.channels;
  fallback.resize(blocks, fallback.back());
  options.channels = section.get_ints("channels", fallback, {1, 4096});
  if (static_cast<int64_t>(options.channels.size()) != blocks) {
    section.fail("channels", "expected " + std::to_string(blocks) +
                                 " entries, one per x2 block from stride " + std::to_string(start) +
                                 " to full resolution");
  }
  options.output = section.get_string("output", options.output, {"sigmoid", "none"});
  return options;
}

ReconstructionDecoderImpl::ReconstructionDecoderImpl(const PyramidLevel& bottleneck,
                                                     const std::vector<int64_t>& padded_size,
                                                     int64_t out_channels,
                                                     const ReconstructionDecoderOptions& options)
    : options_(options), bottleneck_channels_(bottleneck.channels) {
  const int64_t latent_out = options.latent_size * (options.variational ? 2 : 1);
  if (options.latent == "vector") {
    const int64_t start = options_.start_stride > 0 ? options_.start_stride : bottleneck.stride;
    start_size_ = {padded_size.at(0) / start, padded_size.at(1) / start};
    const int64_t flat_in = bottleneck.channels * (padded_size[0] / bottleneck.stride) * (padded_size[1] / bottleneck.stride);
    const int64_t flat_out = bottleneck.channels * start_size_[0] * start_size_[1];
    to_latent_ = nn::AnyModule(register_module("to_latent", nn::Linear(flat_in, latent_out)));
    from_latent_ = nn::AnyModule(register_module("from_latent", nn::Linear(options.latent_size, flat_out)));
  } else {
    to_latent_ = nn::AnyModule(register_module(
        "to_latent", nn::Conv2d(nn::Conv2dOptions(bottleneck.channels, latent_out, 1))));
    from_latent_ = nn::AnyModule(register_module(
        "from_latent", nn::Conv2d(nn::Conv2dOptions(options.latent_size, bottleneck.channels, 1))));
  }
  blocks = register_module("blocks", nn::ModuleList());
  int64_t channels = bottleneck.channels;
  for (const int64_t out : options.channels) {
    blocks->push_back(UnetDecoderBlock(channels, 0, out));  // x2, no skip
    channels = out;
  }
  head = register_module("head", nn::Conv2d(nn::Conv2dOptions(channels, out_channels, 3).padding(1)));
}

Latent ReconstructionDecoderImpl::to_latent(const torch::Tensor& coarsest) {
  auto x = options_.latent == "vector" ? coarsest.flatten(1) : coarsest;  // [B, C*h*w] or map
  auto out = to_latent_.forward(x);
  if (!options_.variational) return {out, {}};
  auto halves = out.chunk(2, 1);
  return {halves[0], halves[1]};
}

torch::Tensor ReconstructionDecoderImpl::decode(const torch::Tensor& latent) {
  auto x = from_latent_.forward(latent);
  if (options_.latent == "vector") {  // [B, C*h*w] -> [B, C, h, w]
    x = x.view({x.size(0), bottleneck_channels_, start_size_[0], start_size_[1]});
  }
  x = torch::relu(x);
  for (const auto& block : *blocks) x = block->as<UnetDecoderBlock>()->forward(x, {});
  x = head->forward(x);
  return options_.output == "sigmoid" ? torch::sigmoid(x) : x;
}

void ReconstructionDecoderImpl::fold_for_inference() {
  for (const auto& block : *blocks) block->as<UnetDecoderBlock>()->fold();
}

}  // namespace vedkit
