#include "vision/layers/affine.h"

#include <torch/torch.h>

#include "vision/layers/packed_weights.h"

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

// The packed AVX2 product (packed_product.h), where this CPU prefers it and the weight keeps a
// version; undefined otherwise.
torch::Tensor packed_affine(const torch::Tensor& input, const torch::Tensor& weight,
                            const torch::Tensor& bias, const torch::Tensor& residual, bool gelu) {
  const int64_t rows = input.size(0), out = weight.size(0);
  if (!packed_product::preferred() || input.stride(1) != 1 || weight.dim() != 2 ||
      weight.size(1) != input.size(1) || (residual.defined() && residual.numel() != rows * out) ||
      (bias.defined() && (bias.scalar_type() != torch::kFloat || !bias.is_contiguous()))) {
    return {};
  }
  const auto packed = packed_weights(weight);
  if (!packed) return {};
  const auto sums = residual.defined() ? residual.reshape({rows, out}).contiguous() : torch::Tensor();
  auto y = torch::empty({rows, out}, input.options());
  packed_product::Product product;
  product.x = input.data_ptr<float>();
  product.rows = rows;
  product.x_stride = input.stride(0);
  product.bias = bias.defined() ? bias.data_ptr<float>() : nullptr;
  product.residual = sums.defined() ? sums.data_ptr<float>() : nullptr;
  product.residual_stride = out;
  product.y = y.data_ptr<float>();
  product.y_stride = out;
  product.gelu = gelu;
  packed_product::run(product, *packed);
  return y;
}

// affine, then GELU where `gelu`, then plus residual where it is defined: fused into the
// product where the packed one or oneDNN's runs.
torch::Tensor affine_then(const torch::Tensor& x, const torch::Tensor& weight,
                          const torch::Tensor& bias, bool gelu, const torch::Tensor& residual) {
  const int64_t in = x.size(-1);
  const int64_t rows = in == 0 ? 0 : x.numel() / in;
  const bool plain_floats = rows >= 1 && x.device().is_cpu() && x.scalar_type() == torch::kFloat &&
                            weight.scalar_type() == torch::kFloat &&
                            (!residual.defined() || residual.scalar_type() == torch::kFloat) &&
                            !any_needs_gradient({&x, &weight, &bias, &residual});
  const auto finish = [&](const torch::Tensor& y) {
    const auto activated = gelu ? torch::gelu(y) : y;
    return residual.defined() ? activated + residual : activated;
  };
  if (!plain_floats) return finish(torch::nn::functional::linear(x, weight, bias));

  auto sizes = x.sizes().vec();
  sizes.back() = weight.size(0);
  const auto input = x.reshape({rows, in});
  if (rows <= kMaxGemvRows) return finish(rows_by_gemv(input, weight, bias).view(sizes));
  if (const auto y = packed_affine(input, weight, bias, residual, gelu); y.defined()) {
    return y.view(sizes);
  }
#ifdef VEDKIT_WITH_ONEDNN
  if (onednn_products_preferred()) {
    if (const auto y = onednn_linear(input, weight, bias, gelu); y.defined()) {
      return residual.defined() ? y.view(sizes) + residual : y.view(sizes);
    }
  }
#endif
#ifdef VEDKIT_WITH_XNNPACK
  if (const auto y = xnnpack_linear(input.contiguous(), weight, bias); y.defined()) {
    return finish(y.view(sizes));
  }
#endif
  return finish(torch::nn::functional::linear(x, weight, bias));
}

}  // namespace

torch::Tensor affine(const torch::Tensor& x, const torch::Tensor& weight,
                     const torch::Tensor& bias) {
  return affine_then(x, weight, bias, false, {});
}

torch::Tensor affine_gelu(const torch::Tensor& x, const torch::Tensor& weight,
                          const torch::Tensor& bias) {
  return affine_then(x, weight, bias, true, {});
}

torch::Tensor affine_add(const torch::Tensor& x, const torch::Tensor& weight,
                         const torch::Tensor& bias, const torch::Tensor& residual) {
  return affine_then(x, weight, bias, false, residual);
}

}  // namespace vedkit
