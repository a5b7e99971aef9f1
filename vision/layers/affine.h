#pragma once

#include <torch/types.h>

namespace vedkit {

// Up to this many rows, one matrix-vector product per row beats a matrix product.
constexpr int64_t kMaxGemvRows = 4;

// x [..., in] -> x W^T + b [..., out], as torch::nn::functional::linear. A decoder step
// multiplies one to a few rows by each weight matrix, and there OpenBLAS's sgemm, which packs
// the whole matrix on every call, is 4-5x slower than a matrix-vector product. So float32 CPU
// inputs of up to four rows that need no gradient take one addmv per row.
torch::Tensor affine(const torch::Tensor& x, const torch::Tensor& weight,
                     const torch::Tensor& bias = {});

}  // namespace vedkit
