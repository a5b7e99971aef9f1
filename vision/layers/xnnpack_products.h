#pragma once

#include <torch/types.h>

namespace vedkit {

// x [rows, in] W^T + b -> [rows, out] through XNNPACK's float32 fully-connected operator
// (Debian's libxnnpack-dev, which LibTorch itself links). For the products of a ViT at batch
// 1 (about 200 rows by a few hundred) it runs 2-2.5x faster than OpenBLAS's sgemm here, and
// scales across both cores where sgemm does not.
//
// XNNPACK packs W and b into its own layout once; the packed copy is kept per weight tensor
// and made again when the weight's storage or version changes (an optimizer step, a loaded
// file), so the answer always follows the weights. Expects float32 CPU tensors, x and W
// contiguous, W [out, in] and b [out] or undefined, and no gradient needed; answers an
// undefined tensor where it cannot take the product (then use torch's linear).
torch::Tensor xnnpack_linear(const torch::Tensor& x, const torch::Tensor& weight,
                             const torch::Tensor& bias);

// softmax(q k^T * scale + mask) v for float32 CPU inputs that need no gradient: q [B, H, T, Dh],
// k and v [B, H, S, Dh] (any strides with unit last stride: views of one projection serve),
// mask [T, S] additive or undefined -> [B, T, H * Dh], the heads side by side as the output
// projection takes them. One (batch, head) pair per task on LibTorch's threads: the scores
// stay in the core's cache from the first product through the softmax to the second, where a
// CPU bmm runs one multi-threaded gemm per pair. Undefined where it cannot (use torch's).
torch::Tensor xnnpack_attention(const torch::Tensor& q, const torch::Tensor& k,
                                const torch::Tensor& v, const torch::Tensor& mask, double scale);

}  // namespace vedkit
