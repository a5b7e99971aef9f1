#pragma once

#include <torch/arg.h>
#include <torch/nn/modules/container/sequential.h>
#include <torch/nn/modules/conv.h>
#include <torch/nn/modules/normalization.h>

#include <cstdint>
#include <string>
#include <vector>

#include "core/config.h"
#include "vision/encoders/encoder.h"
#include "vision/encoders/vit_block.h"

namespace vedkit {

// A Vision Transformer shaped like torchvision's VisionTransformer. The defaults are vit_b_16.
struct ViTOptions {
  // tiny: 192/12/3/768, small: 384/12/6/1536, base: 768/12/12/3072 (width/depth/heads/mlp_dim).
  // Throws vedkit::Error for any other name.
  static ViTOptions preset(const std::string& name);

  TORCH_ARG(int64_t, patch_size) = 16;  // a multiple of 4, so that every pyramid stride is whole
  TORCH_ARG(int64_t, width) = 768;
  TORCH_ARG(int64_t, depth) = 12;
  TORCH_ARG(int64_t, heads) = 12;
  TORCH_ARG(int64_t, mlp_dim) = 3072;
  // The square size the position embedding is trained at; other sizes interpolate it.
  TORCH_ARG(int64_t, image_size) = 224;
  TORCH_ARG(int64_t, in_channels) = 3;
  // The blocks (1-based) whose outputs feed the four pyramid levels, finest first.
  // Empty: depth/4, depth/2, 3*depth/4, depth.
  TORCH_ARG(std::vector<int64_t>, pyramid_blocks) = {};
  // Channels of every pyramid level; 0: width.
  TORCH_ARG(int64_t, pyramid_channels) = 0;
};

// Reads `preset` (tiny | small | base, default base), then patch_size, width, depth, heads,
// mlp_dim (each overriding the preset), image_size, in_channels, pyramid_blocks and
// pyramid_channels. Any value out of range or inconsistent is a ConfigError at its key.
ViTOptions read_vit_options(ConfigSection& section);

// The ViT encoder. Module and parameter names are torchvision 0.14's (conv_proj, class_token,
// encoder.pos_embedding, encoder.layers.encoder_layer_{i}.*, encoder.ln), so its state dict
// maps one to one; the feature pyramid built on top, ViTDet-style, lives under `pyramid.*`.
//
// Pyramid level i comes from block pyramid_blocks[i] (after encoder.ln), patch tokens laid out
// as [B, D, H/p, W/p]: stride p/4 = two 2x2 transposed convolutions with a GELU between,
// p/2 = one, p = as is, 2p = 2x2 max-pool; then a 1x1 convolution when pyramid_channels != width.
class ViTEncoderImpl : public EncoderImpl {
 public:
  explicit ViTEncoderImpl(ViTOptions options);

  const std::vector<PyramidLevel>& pyramid() const override { return levels_; }
  int64_t in_channels() const override { return options_.in_channels(); }
  int64_t size_multiple() const override { return 2 * options_.patch_size(); }

  // [B, C, H, W] -> four maps [B, pyramid_channels, H/s, W/s], s = p/4, p/2, p, 2p.
  // H and W must be multiples of size_multiple().
  std::vector<torch::Tensor> forward(const torch::Tensor& images) override;

  // [B, C, H, W] -> the patch tokens after encoder.ln, [B, N, width], N = (H/p) * (W/p).
  // H and W must be multiples of patch_size.
  torch::Tensor tokens(const torch::Tensor& images) override;
  int64_t token_channels() const override { return options_.width(); }

  // [B, C, H, W] -> [B, 1+N, width]: torchvision's encoder output, class token first.
  torch::Tensor sequence(const torch::Tensor& images);

  // Copies every tensor of a torchvision ViT state dict (heads.* ignored). Sums or repeats the
  // RGB filters of conv_proj when in_channels != 3 and interpolates a position embedding
  // trained at another grid; throws vedkit::Error for a missing, unknown or mis-shaped tensor.
  std::string load_torchvision(const StateDict& state) override;

  const ViTOptions& options() const { return options_; }

 private:
  // Runs the transformer; fills taps[i] with block pyramid_blocks[i]'s normalized output
  // when taps is given. Returns the normalized sequence [B, 1+N, D].
  torch::Tensor encode(const torch::Tensor& images, int64_t multiple,
                       std::vector<torch::Tensor>* taps);
  torch::Tensor position_embedding(int64_t grid_h, int64_t grid_w) const;

  ViTOptions options_;
  std::vector<PyramidLevel> levels_;

  torch::nn::Conv2d conv_proj_{nullptr};
  torch::Tensor class_token_;
  torch::Tensor pos_embedding_;                 // encoder.pos_embedding
  std::vector<ViTBlock> blocks_;                // encoder.layers.encoder_layer_{i}
  torch::nn::LayerNorm ln_{nullptr};            // encoder.ln
  std::vector<torch::nn::Sequential> pyramid_;  // pyramid.{level}
};

}  // namespace vedkit
