#include "vision/layers/conv_norm_activation.h"

#include "vision/layers/activation.h"
#include "vision/layers/conv_bn.h"

namespace vedkit {

namespace nn = torch::nn;

ConvNormActivationImpl::ConvNormActivationImpl(const ConvNormActivationOptions& o)
    : activation_(o.activation()) {
  conv = register_module("0",
                         nn::Conv2d(nn::Conv2dOptions(o.in_channels(), o.out_channels(), o.kernel())
                                        .stride(o.stride())
                                        .padding((o.kernel() - 1) / 2 * o.dilation())
                                        .dilation(o.dilation())
                                        .groups(o.groups())
                                        .bias(false)));
  bn = register_module(
      "1", nn::BatchNorm2d(
               nn::BatchNorm2dOptions(o.out_channels()).eps(o.eps()).momentum(o.momentum())));
}

torch::Tensor ConvNormActivationImpl::forward(const torch::Tensor& x) {
  return activate(conv_bn(x, conv, bn, folded_), activation_);
}

ConvGraph::Value ConvNormActivationImpl::describe(ConvGraph& graph, ConvGraph::Value x,
                                                  ConvGraph::Value residual) const {
  return describe_conv(graph, x, conv, activation_, residual);
}

void ConvNormActivationImpl::fold() {
  if (folded_) return;
  fold_conv_bn(conv, bn);
  folded_ = true;
}

}  // namespace vedkit
