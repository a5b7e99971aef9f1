#include "vision/encoders/vit_block.h"

#include <torch/torch.h>

#include <cmath>

namespace vedkit {

torch::nn::LayerNorm vit_layer_norm(int64_t width) {
  return torch::nn::LayerNorm(torch::nn::LayerNormOptions({width}).eps(1e-6));
}

SelfAttentionImpl::SelfAttentionImpl(int64_t width, int64_t heads) : heads_(heads) {
  // nn.MultiheadAttention's initialisation: xavier-uniform in_proj, zero biases.
  in_proj_weight_ = register_parameter("in_proj_weight", torch::empty({3 * width, width}));
  in_proj_bias_ = register_parameter("in_proj_bias", torch::zeros({3 * width}));
  out_proj_ = register_module("out_proj", torch::nn::Linear(width, width));
  torch::NoGradGuard no_grad;
  torch::nn::init::xavier_uniform_(in_proj_weight_);
  out_proj_->bias.zero_();
}

torch::Tensor SelfAttentionImpl::forward(const torch::Tensor& x) {
  const int64_t batch = x.size(0), length = x.size(1), width = x.size(2);
  const int64_t head_dim = width / heads_;

  auto qkv =
      torch::nn::functional::linear(x, in_proj_weight_, in_proj_bias_);  // [B, T, D] -> [B, T, 3D]
  qkv = qkv.view({batch, length, 3, heads_, head_dim})
            .permute({2, 0, 3, 1, 4});  // -> [3, B, H, T, Dh]
  const auto q = qkv[0] * (1.0 / std::sqrt(static_cast<double>(head_dim)));
  const auto k = qkv[1];
  const auto v = qkv[2];

  const auto weights = torch::softmax(q.matmul(k.transpose(-2, -1)), -1);  // [B, H, T, T]
  auto y = weights.matmul(v);                                              // [B, H, T, Dh]
  y = y.transpose(1, 2).reshape({batch, length, width});                   // -> [B, T, D]
  return out_proj_(y);
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

torch::Tensor MlpImpl::forward(const torch::Tensor& x) {
  return fc2_(torch::gelu(fc1_(x)));  // [B, T, D] -> [B, T, mlp] -> [B, T, D]
}

ViTBlockImpl::ViTBlockImpl(int64_t width, int64_t heads, int64_t mlp_dim) {
  ln_1_ = register_module("ln_1", vit_layer_norm(width));
  self_attention_ = register_module("self_attention", SelfAttention(width, heads));
  ln_2_ = register_module("ln_2", vit_layer_norm(width));
  mlp_ = register_module("mlp", Mlp(width, mlp_dim));
}

torch::Tensor ViTBlockImpl::forward(const torch::Tensor& input) {
  const auto x = input + self_attention_(ln_1_(input));
  return x + mlp_(ln_2_(x));
}

}  // namespace vedkit
