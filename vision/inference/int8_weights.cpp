#include "vision/inference/int8_weights.h"

#include <ATen/ATen.h>

namespace vedkit {

std::vector<float> int8_weight_scales(const at::Tensor& weight) {
  const auto largest = weight.detach().abs().flatten(1).amax(1).contiguous();
  std::vector<float> scales(largest.data_ptr<float>(), largest.data_ptr<float>() + largest.numel());
  for (float& scale : scales) scale = scale > 0 ? scale / 127 : 1.0f;
  return scales;
}

at::Tensor int8_weights(const at::Tensor& weight, const std::vector<float>& scales) {
  std::vector<int64_t> shape(weight.dim(), 1);
  shape[0] = weight.size(0);
  const auto per_channel = at::tensor(scales).view(shape);
  return at::round(weight.detach() / per_channel).clamp(-127, 127).to(at::kChar).contiguous();
}

}  // namespace vedkit
