#include "vision/layers/affine.h"

#include <torch/torch.h>

namespace vedkit {
namespace {

bool needs_gradient(const torch::Tensor& x, const torch::Tensor& weight,
                    const torch::Tensor& bias) {
  return torch::GradMode::is_enabled() &&
         (x.requires_grad() || weight.requires_grad() || (bias.defined() && bias.requires_grad()));
}

}  // namespace

torch::Tensor affine(const torch::Tensor& x, const torch::Tensor& weight,
                     const torch::Tensor& bias) {
  const int64_t in = x.size(-1);
  const int64_t rows = in == 0 ? 0 : x.numel() / in;
  const bool gemv = rows >= 1 && rows <= kMaxGemvRows && x.device().is_cpu() &&
                    x.scalar_type() == torch::kFloat && weight.scalar_type() == torch::kFloat &&
                    !needs_gradient(x, weight, bias);
  if (!gemv) return torch::nn::functional::linear(x, weight, bias);

  const auto input = x.reshape({rows, in});
  auto out = torch::empty({rows, weight.size(0)}, x.options());
  for (int64_t r = 0; r < rows; ++r) {
    auto row = out[r];
    if (bias.defined()) {
      at::addmv_out(row, bias, weight, input[r]);
    } else {
      at::mv_out(row, weight, input[r]);
    }
  }
  auto sizes = x.sizes().vec();
  sizes.back() = weight.size(0);
  return out.view(sizes);
}

}  // namespace vedkit
