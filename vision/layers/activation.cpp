#include "vision/layers/activation.h"

#include <ATen/ATen.h>

namespace vedkit {

at::Tensor activate(const at::Tensor& x, Activation activation) {
  switch (activation) {
    case Activation::kReLU:
      return at::relu(x);
    case Activation::kHardswish:
      return at::hardswish(x);
    case Activation::kSigmoid:
      return at::sigmoid(x);
    case Activation::kHardsigmoid:
      return at::hardsigmoid(x);
    case Activation::kNone:
      break;
  }
  return x;
}

}  // namespace vedkit
