#pragma once

#include <torch/arg.h>
#include <torch/nn/modules/batchnorm.h>
#include <torch/nn/modules/conv.h>

#include "vision/inference/conv_graph.h"

namespace vedkit {

struct ConvNormActivationOptions {
  ConvNormActivationOptions(int64_t in_channels, int64_t out_channels, int64_t kernel)
      : in_channels_(in_channels), out_channels_(out_channels), kernel_(kernel) {}
  TORCH_ARG(int64_t, in_channels);
  TORCH_ARG(int64_t, out_channels);
  TORCH_ARG(int64_t, kernel);
  TORCH_ARG(int64_t, stride) = 1;
  TORCH_ARG(int64_t, dilation) = 1;
  TORCH_ARG(int64_t, groups) = 1;
  TORCH_ARG(Activation, activation) = Activation::kReLU;
  TORCH_ARG(double, eps) = 1e-5;  // batch-norm's; MobileNetV3 uses 1e-3
  TORCH_ARG(double, momentum) = 0.1;
};

// torchvision's Conv2dNormActivation: a bias-free convolution "0" with padding
// (kernel - 1) / 2 * dilation, batch-norm "1", then the activation; the names let state dicts
// map one to one.
class ConvNormActivationImpl : public torch::nn::Module {
 public:
  explicit ConvNormActivationImpl(const ConvNormActivationOptions& options);
  torch::Tensor forward(const torch::Tensor& x);
  const torch::Tensor& weight() const { return conv->weight; }
  // Folds the batch-norm into the convolution, for inference only.
  void fold();
  // Once folded: the layer on x, its residual (if given) added before the activation.
  ConvGraph::Value describe(ConvGraph& graph, ConvGraph::Value x,
                            ConvGraph::Value residual = ConvGraph::kNone) const;

 private:
  Activation activation_;
  bool folded_ = false;
  torch::nn::Conv2d conv{nullptr};
  torch::nn::BatchNorm2d bn{nullptr};
};
TORCH_MODULE(ConvNormActivation);

}  // namespace vedkit
