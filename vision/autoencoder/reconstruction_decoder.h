#pragma once

#include <torch/nn/modules/container/any.h>
#include <torch/nn/modules/container/modulelist.h>
#include <torch/nn/modules/conv.h>
#include <torch/nn/modules/linear.h>

#include <string>
#include <vector>

#include "core/config.h"
#include "vision/encoders/encoder.h"

namespace vedkit {

struct ReconstructionDecoderOptions {
  std::string latent = "channels";  // channels: a latent map; vector: one latent per image
  int64_t latent_size = 64;         // channels of the map, or length of the vector
  // Vector latent: the stride of the grid the latent is first decoded to (0: the bottleneck's).
  // A finer start (say 8 for 28x28 images, whose bottleneck is 1x1) gives the decoder room.
  int64_t start_stride = 0;
  // One x2 block per doubling from the start stride to 1, coarsest first.
  std::vector<int64_t> channels = {256, 128, 64, 32, 16};
  std::string output = "sigmoid";  // sigmoid: data in [0, 1]; none: unbounded
  bool variational = false;        // the latent is a Gaussian (mean, log-variance)
};

// `model.decoder` of an autoencoder (type: reconstruction); variational comes from the task.
ReconstructionDecoderOptions read_reconstruction_decoder_options(ConfigSection& section,
                                                                 const PyramidLevel& bottleneck);

// The latent of a batch: mean [B, L] or [B, L, h, w]; log_var likewise when variational.
struct Latent {
  torch::Tensor mean;
  torch::Tensor log_var;
};

// Decodes from the encoder's coarsest level alone: it never sees a skip, so whatever reaches
// the output passed through the latent. A vector latent needs the fixed (padded) input size.
class ReconstructionDecoderImpl : public torch::nn::Module {
 public:
  ReconstructionDecoderImpl(const PyramidLevel& bottleneck, const std::vector<int64_t>& padded_size,
                            int64_t out_channels, const ReconstructionDecoderOptions& options);

  Latent to_latent(const torch::Tensor& coarsest);  // [B, C, h, w] -> latent
  torch::Tensor decode(const torch::Tensor& latent);  // latent -> [B, out, h*s, w*s]
  const ReconstructionDecoderOptions& options() const { return options_; }
  void fold_for_inference();

 private:
  ReconstructionDecoderOptions options_;
  std::vector<int64_t> start_size_;  // vector latent: the grid it is decoded to
  int64_t bottleneck_channels_;
  torch::nn::AnyModule to_latent_, from_latent_;  // 1x1 convolutions or linear layers
  torch::nn::ModuleList blocks{nullptr};
  torch::nn::Conv2d head{nullptr};
};
TORCH_MODULE(ReconstructionDecoder);

}  // namespace vedkit
