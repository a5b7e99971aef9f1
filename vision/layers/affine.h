#pragma once

#include <torch/types.h>

#include <initializer_list>

namespace vedkit {

// Up to this many rows, one matrix-vector product per row beats a matrix product.
constexpr int64_t kMaxGemvRows = 4;

// Whether autograd would record an operation on these tensors (undefined ones need nothing).
bool any_needs_gradient(std::initializer_list<const torch::Tensor*> tensors);

// x [..., in] -> x W^T + b [..., out], as torch::nn::functional::linear, for float32 CPU inputs
// that need no gradient: up to four rows take one addmv per row (a decoder step: OpenBLAS's
// sgemm packs the whole matrix on every call and is 4-5x slower there); more rows take the
// packed AVX2 product on CPUs without AVX-512 (packed_product.h; else oneDNN's,
// onednn_products.h) and XNNPACK's on the others (xnnpack_products.h), where the build has
// them. Anything else, and training, takes torch's linear.
torch::Tensor affine(const torch::Tensor& x, const torch::Tensor& weight,
                     const torch::Tensor& bias = {});

// torch::gelu(affine(x, weight, bias)), the GELU fused into the product where the packed one
// or oneDNN's runs.
torch::Tensor affine_gelu(const torch::Tensor& x, const torch::Tensor& weight,
                          const torch::Tensor& bias = {});

// affine(x, weight, bias) + residual (of the result's shape), the sum fused into the packed
// product where it runs: a transformer block's skip connection.
torch::Tensor affine_add(const torch::Tensor& x, const torch::Tensor& weight,
                         const torch::Tensor& bias, const torch::Tensor& residual);

}  // namespace vedkit
