#include "vision/layers/attention.h"

#include <torch/torch.h>

#include <cmath>

#include "vision/layers/affine.h"
#ifdef VEDKIT_WITH_ONEDNN
#include "vision/layers/onednn_products.h"
#endif
#ifdef VEDKIT_WITH_XNNPACK
#include "vision/layers/xnnpack_products.h"
#endif

namespace vedkit {

MultiHeadAttentionImpl::MultiHeadAttentionImpl(int64_t width, int64_t heads)
    : width_(width), heads_(heads) {
  // nn.MultiheadAttention's initialisation: xavier-uniform in_proj, zero biases.
  in_proj_weight_ = register_parameter("in_proj_weight", torch::empty({3 * width, width}));
  in_proj_bias_ = register_parameter("in_proj_bias", torch::zeros({3 * width}));
  out_proj_ = register_module("out_proj", torch::nn::Linear(width, width));
  torch::NoGradGuard no_grad;
  torch::nn::init::xavier_uniform_(in_proj_weight_);
  out_proj_->bias.zero_();
}

torch::Tensor MultiHeadAttentionImpl::split_heads(const torch::Tensor& x) const {
  return x.view({x.size(0), x.size(1), heads_, width_ / heads_}).transpose(1, 2);
}

torch::Tensor MultiHeadAttentionImpl::query(const torch::Tensor& x) {
  const auto q =
      vedkit::affine(x, in_proj_weight_.narrow(0, 0, width_), in_proj_bias_.narrow(0, 0, width_));
  return split_heads(q);
}

std::pair<torch::Tensor, torch::Tensor> MultiHeadAttentionImpl::keys_values(
    const torch::Tensor& x) {
  const auto kv = vedkit::affine(x, in_proj_weight_.narrow(0, width_, 2 * width_),
                                 in_proj_bias_.narrow(0, width_, 2 * width_));
  const auto parts = kv.chunk(2, -1);  // [B, S, 2D] -> 2 x [B, S, D]
  return {split_heads(parts[0]), split_heads(parts[1])};
}

std::tuple<torch::Tensor, torch::Tensor, torch::Tensor> MultiHeadAttentionImpl::queries_keys_values(
    const torch::Tensor& x) {
  const auto qkv = vedkit::affine(x, in_proj_weight_, in_proj_bias_);
  const auto parts = qkv.chunk(3, -1);  // [B, T, 3D] -> 3 x [B, T, D]
  return {split_heads(parts[0]), split_heads(parts[1]), split_heads(parts[2])};
}

torch::Tensor MultiHeadAttentionImpl::mix(const torch::Tensor& q, const torch::Tensor& k,
                                          const torch::Tensor& v, const torch::Tensor& mask,
                                          torch::Tensor* weights) {
  const double scale = 1.0 / std::sqrt(static_cast<double>(width_ / heads_));
  // One query per row (a decoder step): products and sums beat CPU bmm, which runs a small
  // gemm for each of the B x H pairs.
  const bool one_query = q.size(2) == 1;
#ifdef VEDKIT_WITH_ONEDNN
  if (!one_query && weights == nullptr && !mask.defined() && onednn_products_preferred()) {
    if (auto y = onednn_attention(q, k, v, scale); y.defined()) return y;
  }
#endif
#ifdef VEDKIT_WITH_XNNPACK
  if (!one_query && weights == nullptr) {
    if (auto y = xnnpack_attention(q, k, v, mask, scale); y.defined()) return y;
  }
#endif
  auto scores = one_query ? ((q * scale) * k).sum(-1).unsqueeze(2)
                          : (q * scale).matmul(k.transpose(-2, -1));  // [B, H, T, S]
  if (mask.defined()) scores = scores + mask;
  const auto probabilities = torch::softmax(scores, -1);
  if (weights != nullptr) *weights = probabilities;
  const auto y = one_query ? (probabilities.transpose(-2, -1) * v).sum(-2, /*keepdim=*/true)
                           : probabilities.matmul(v);              // [B, H, T, Dh]
  return y.transpose(1, 2).reshape({q.size(0), q.size(2), width_});  // -> [B, T, D]
}

torch::Tensor MultiHeadAttentionImpl::attend(const torch::Tensor& q, const torch::Tensor& k,
                                             const torch::Tensor& v, const torch::Tensor& mask,
                                             torch::Tensor* weights) {
  return vedkit::affine(mix(q, k, v, mask, weights), out_proj_->weight, out_proj_->bias);
}

torch::Tensor MultiHeadAttentionImpl::attend_onto(const torch::Tensor& residual,
                                                  const torch::Tensor& q, const torch::Tensor& k,
                                                  const torch::Tensor& v) {
  return vedkit::affine_add(mix(q, k, v, {}, nullptr), out_proj_->weight, out_proj_->bias,
                            residual);
}

}  // namespace vedkit
