#pragma once

#include <torch/nn/modules/batchnorm.h>
#include <torch/nn/modules/conv.h>

namespace vedkit {

// A convolution followed by its batch-norm; once folded, the convolution carries the
// batch-norm's scale and shift and the batch-norm is skipped. In training, in a group whose
// options ask for it, the batch-norm's statistics are synchronised over the ranks.
torch::Tensor conv_bn(const torch::Tensor& x, torch::nn::Conv2d& conv, torch::nn::BatchNorm2d& bn,
                      bool folded);

// Folds bn's running statistics into conv, for inference only: the shift becomes the conv's
// bias, registered as the buffer "folded_bias" (so it moves with the module), and a folded
// module is not saved as a model file.
void fold_conv_bn(torch::nn::Conv2d& conv, torch::nn::BatchNorm2d& bn);

}  // namespace vedkit
