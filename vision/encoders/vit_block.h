#pragma once

#include <torch/nn/module.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/modules/normalization.h>
#include <torch/nn/pimpl.h>

#include <cstdint>

#include "vision/layers/attention.h"

namespace vedkit {

// Linear -> GELU (exact) -> Linear, registered as `0` and `3` like torchvision's MLPBlock
// (whose indices 1, 2 and 4 are the activation and dropouts, which hold no parameters).
class MlpImpl : public torch::nn::Module {
 public:
  MlpImpl(int64_t width, int64_t hidden);
  // [B, T, D] -> [B, T, D], plus residual (of that shape) where it is given.
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& residual = {});

 private:
  torch::nn::Linear fc1_{nullptr};
  torch::nn::Linear fc2_{nullptr};
};
TORCH_MODULE(Mlp);

// One pre-norm transformer block, torchvision's EncoderBlock: ln_1, self_attention, ln_2, mlp.
// Dropout is left out: torchvision's ViTs use 0, and it is inactive at inference anyway.
class ViTBlockImpl : public torch::nn::Module {
 public:
  ViTBlockImpl(int64_t width, int64_t heads, int64_t mlp_dim);
  torch::Tensor forward(const torch::Tensor& x);  // [B, T, D] -> [B, T, D]

 private:
  torch::nn::LayerNorm ln_1_{nullptr};
  MultiHeadAttention self_attention_{nullptr};
  torch::nn::LayerNorm ln_2_{nullptr};
  Mlp mlp_{nullptr};
};
TORCH_MODULE(ViTBlock);

// torchvision builds every ViT LayerNorm with eps 1e-6.
torch::nn::LayerNorm vit_layer_norm(int64_t width);

}  // namespace vedkit
