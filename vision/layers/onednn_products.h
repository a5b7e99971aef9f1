#pragma once

#include <torch/types.h>

namespace vedkit {

// Whether float32 linear layers at inference run through oneDNN's matrix product here rather
// than XNNPACK's: on CPUs without AVX-512, where XNNPACK's kernels reached a third of a
// Zen 3's FMA peak on a ViT-Ti's products and oneDNN's about 70% (bench/README.md). AVX-512
// CPUs keep XNNPACK, measured at 260-290 GFLOP/s on a Zen 5.
bool onednn_products_preferred();

// x [rows, in] W^T + b -> [rows, out], then GELU (erf, as torch::gelu) when asked, fused into
// the product. W [out, in] is read where it lies (unit stride along in: a narrowed slice of a
// larger weight serves), so nothing is packed and no weight change can go unseen. Float32 CPU
// tensors needing no gradient; undefined where it cannot (then use another path).
torch::Tensor onednn_linear(const torch::Tensor& x, const torch::Tensor& weight,
                            const torch::Tensor& bias, bool gelu);

// softmax(q k^T * scale) v without a mask, for float32 CPU inputs that need no gradient:
// q [B, H, T, Dh], k and v [B, H, S, Dh] (any strides with unit last stride: views of one
// projection serve) -> [B, T, H * Dh], the heads side by side as the output projection takes
// them. Two batched oneDNN matrix products around a softmax; undefined where it cannot.
torch::Tensor onednn_attention(const torch::Tensor& q, const torch::Tensor& k,
                               const torch::Tensor& v, double scale);

}  // namespace vedkit
