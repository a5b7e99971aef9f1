#pragma once

#include <ATen/core/Tensor.h>

#include <vector>

namespace vedkit {

// Symmetric per-output-channel int8 weights: each output channel's scale is its largest
// magnitude / 127 (1 where all its weights are zero).
std::vector<float> int8_weight_scales(const at::Tensor& weight);

// weight [out, ...] float32 rounded to int8 at those scales: a contiguous kChar tensor.
at::Tensor int8_weights(const at::Tensor& weight, const std::vector<float>& scales);

}  // namespace vedkit
