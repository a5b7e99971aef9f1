#pragma once

#include <torch/nn/module.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/pimpl.h>

#include <cstdint>
#include <tuple>
#include <utility>

namespace vedkit {

// Batch-first multi-head attention with nn.MultiheadAttention's parameter names
// (in_proj_weight [3D, D] holding q, k and v, in_proj_bias [3D], out_proj), as torchvision's
// ViT and nn.TransformerDecoderLayer name them. Split into its projections so a decoder can
// cache keys and values; written with matmul + softmax so it builds on LibTorch 1.13 and 2.x
// alike. Heads are laid out [B, H, T, D/H].
class MultiHeadAttentionImpl : public torch::nn::Module {
 public:
  MultiHeadAttentionImpl(int64_t width, int64_t heads);

  torch::Tensor query(const torch::Tensor& x);  // [B, T, D] -> [B, H, T, Dh]
  // [B, S, D] -> keys and values [B, H, S, Dh].
  std::pair<torch::Tensor, torch::Tensor> keys_values(const torch::Tensor& x);
  // q, k, v from one product: [B, T, D] -> 3 x [B, H, T, Dh].
  std::tuple<torch::Tensor, torch::Tensor, torch::Tensor> queries_keys_values(
      const torch::Tensor& x);

  // Scaled dot-product attention and the output projection: -> [B, T, D]. mask (additive,
  // broadcast to [B, H, T, S]) may be undefined; weights, when given, receives the
  // attention weights [B, H, T, S].
  torch::Tensor attend(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v,
                       const torch::Tensor& mask = {}, torch::Tensor* weights = nullptr);
  // residual + attend(q, k, v), the sum fused into the output projection where it can be: a
  // pre-norm block's skip connection. residual is [B, T, D].
  torch::Tensor attend_onto(const torch::Tensor& residual, const torch::Tensor& q,
                            const torch::Tensor& k, const torch::Tensor& v);

  int64_t heads() const { return heads_; }
  const torch::Tensor& in_proj_weight() const { return in_proj_weight_; }  // [3D, D]: q, k, v
  const torch::Tensor& in_proj_bias() const { return in_proj_bias_; }
  torch::nn::Linear& out_proj() { return out_proj_; }

 private:
  torch::Tensor split_heads(const torch::Tensor& x) const;  // [B, T, D] -> [B, H, T, Dh]
  // attend's weighted values before the output projection: [B, T, D].
  torch::Tensor mix(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v,
                    const torch::Tensor& mask, torch::Tensor* weights);

  int64_t width_;
  int64_t heads_;
  torch::Tensor in_proj_weight_;
  torch::Tensor in_proj_bias_;
  torch::nn::Linear out_proj_{nullptr};
};
TORCH_MODULE(MultiHeadAttention);

}  // namespace vedkit
