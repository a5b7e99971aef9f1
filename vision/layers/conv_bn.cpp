#include "vision/layers/conv_bn.h"

#include "vision/layers/sync_batch_norm.h"

namespace vedkit {

torch::Tensor conv_bn(const torch::Tensor& x, torch::nn::Conv2d& conv, torch::nn::BatchNorm2d& bn,
                      bool folded) {
  if (folded) return conv->forward(x);
  RankGroup* group = current_group();
  if (bn->is_training() && group != nullptr && group->options().sync_batchnorm) {
    return sync_batch_norm(conv->forward(x), *bn, *group);
  }
  return bn->forward(conv->forward(x));
}

void fold_conv_bn(torch::nn::Conv2d& conv, torch::nn::BatchNorm2d& bn) {
  torch::NoGradGuard no_grad;
  // y = gamma * (conv(x) - mean) / sqrt(var + eps) + beta, computed in double so that the
  // folded weights round once.
  const auto dtype = conv->weight.scalar_type();
  const auto scale = bn->weight.to(torch::kDouble) /
                     torch::sqrt(bn->running_var.to(torch::kDouble) + bn->options.eps());
  conv->weight.copy_((conv->weight.to(torch::kDouble) * scale.reshape({-1, 1, 1, 1})).to(dtype));
  auto shift = bn->bias.to(torch::kDouble) - bn->running_mean.to(torch::kDouble) * scale;
  if (conv->bias.defined()) shift = shift + conv->bias.to(torch::kDouble) * scale;
  // A buffer moves with module.to(device) in place, and the conv's bias member shares it.
  conv->bias = conv->register_buffer("folded_bias", shift.to(dtype));
}

}  // namespace vedkit
