#include "vision/layers/affine.h"

#include <torch/torch.h>

#ifdef VEDKIT_WITH_ONEDNN
#include "vision/layers/onednn_products.h"
#endif
#ifdef VEDKIT_WITH_XNNPACK
#include "vision/layers/xnnpack_products.h"
#endif

namespace vedkit {
namespace {

// One addmv per row of input [rows, in].
torch::Tensor rows_by_gemv(const torch::Tensor& input, const torch::Tensor& weight,
                           const torch::Tensor& bias) {
  auto out = torch::empty({input.size(0), weight.size(0)}, input.options());
  for (int64_t r = 0; r < input.size(0); ++r) {
    auto row = out[r];
    if (bias.defined()) {
      at::addmv_out(row, bias, weight, input[r]);
    } else {
      at::mv_out(row, weight, input[r]);
    }
  }
  return out;
}

}  // namespace

bool any_needs_gradient(std::initializer_list<const torch::Tensor*> tensors) {
  if (!torch::GradMode::is_enabled()) return false;
  for (const auto* t : tensors) {
    if (t->defined() && t->requires_grad()) return true;
  }
  return false;
}

namespace {

// affine, then GELU where `gelu`: fused into oneDNN's product where that one runs.
torch::Tensor affine_then(const torch::Tensor& x, const torch::Tensor& weight,
                          const torch::Tensor& bias, bool gelu) {
  const int64_t in = x.size(-1);
  const int64_t rows = in == 0 ? 0 : x.numel() / in;
  const bool plain_floats = rows >= 1 && x.device().is_cpu() && x.scalar_type() == torch::kFloat &&
                            weight.scalar_type() == torch::kFloat &&
                            !any_needs_gradient({&x, &weight, &bias});
  const auto activate = [gelu](const torch::Tensor& y) { return gelu ? torch::gelu(y) : y; };
  if (!plain_floats) return activate(torch::nn::functional::linear(x, weight, bias));

  auto sizes = x.sizes().vec();
  sizes.back() = weight.size(0);
  const auto input = x.reshape({rows, in});
  if (rows <= kMaxGemvRows) return activate(rows_by_gemv(input, weight, bias).view(sizes));
#ifdef VEDKIT_WITH_ONEDNN
  if (onednn_products_preferred()) {
    if (const auto y = onednn_linear(input, weight, bias, gelu); y.defined()) return y.view(sizes);
  }
#endif
#ifdef VEDKIT_WITH_XNNPACK
  if (const auto y = xnnpack_linear(input.contiguous(), weight, bias); y.defined()) {
    return activate(y.view(sizes));
  }
#endif
  return activate(torch::nn::functional::linear(x, weight, bias));
}

}  // namespace

torch::Tensor affine(const torch::Tensor& x, const torch::Tensor& weight,
                     const torch::Tensor& bias) {
  return affine_then(x, weight, bias, false);
}

torch::Tensor affine_gelu(const torch::Tensor& x, const torch::Tensor& weight,
                          const torch::Tensor& bias) {
  return affine_then(x, weight, bias, true);
}

}  // namespace vedkit
