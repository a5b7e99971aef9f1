#pragma once

#include <ATen/core/Tensor.h>

#include "vision/inference/conv_graph.h"

namespace vedkit {

// x through the activation, with ATen's operators (the eager side of what ConvGraph fuses).
at::Tensor activate(const at::Tensor& x, Activation activation);

}  // namespace vedkit
