#include "vision/encoders/vit_block.h"

#include <torch/torch.h>

#include "vision/layers/affine.h"

namespace vedkit {

torch::nn::LayerNorm vit_layer_norm(int64_t width) {
  return torch::nn::LayerNorm(torch::nn::LayerNormOptions({width}).eps(1e-6));
}

MlpImpl::MlpImpl(int64_t width, int64_t hidden) {
  fc1_ = register_module("0", torch::nn::Linear(width, hidden));
  fc2_ = register_module("3", torch::nn::Linear(hidden, width));
  // torchvision's MLPBlock initialisation.
  torch::NoGradGuard no_grad;
  for (auto& fc : {fc1_, fc2_}) {
    torch::nn::init::xavier_uniform_(fc->weight);
    torch::nn::init::normal_(fc->bias, 0.0, 1e-6);
  }
}

torch::Tensor MlpImpl::forward(const torch::Tensor& x, const torch::Tensor& residual) {
  const auto hidden = affine_gelu(x, fc1_->weight, fc1_->bias);  // [B, T, D] -> [B, T, mlp]
  return residual.defined() ? affine_add(hidden, fc2_->weight, fc2_->bias, residual)
                            : affine(hidden, fc2_->weight, fc2_->bias);  // -> [B, T, D]
}

ViTBlockImpl::ViTBlockImpl(int64_t width, int64_t heads, int64_t mlp_dim) {
  ln_1_ = register_module("ln_1", vit_layer_norm(width));
  self_attention_ = register_module("self_attention", MultiHeadAttention(width, heads));
  ln_2_ = register_module("ln_2", vit_layer_norm(width));
  mlp_ = register_module("mlp", Mlp(width, mlp_dim));
}

torch::Tensor ViTBlockImpl::forward(const torch::Tensor& input) {
  const auto [q, k, v] = self_attention_->queries_keys_values(ln_1_(input));
  const auto x = self_attention_->attend_onto(input, q, k, v);
  return mlp_(ln_2_(x), x);
}

}  // namespace vedkit
