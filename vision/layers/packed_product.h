#pragma once
// Float32 matrix products y = x W^T + b for linear layers at inference, on AVX2 and FMA, with
// W packed once into panels of 16 output columns (as BLIS and ONNX Runtime's MLAS pre-pack
// weights), where a library sgemm packs both operands again on every call. On a ViT-Ti's
// products (bench-linear) it ran at 145-185 GFLOP/s on a 2-core Zen 3 whose FMA peak is about
// 190-200, oneDNN's sgemm at 130-172; in the whole ViT-Ti, whose weights are cold by the time
// each layer runs, batch 1 went from 20.4 to 17.7 ms (bench/README.md). GELU and a residual
// sum are applied as each 6x16 tile is written.
// No torch header: linear layers reach it through vision/layers/affine.h.

#include <cstdint>
#include <memory>

namespace vedkit::packed_product {

// Whether this CPU runs the kernel and should: AVX2 and FMA without AVX-512 (where XNNPACK's
// wider kernels are faster, xnnpack_products.h), unless VEDKIT_PACKED_PRODUCT=0 turns it off
// for the run (to compare).
bool preferred();

// W [out][in] (unit stride along in, rows row_stride apart), packed: [ceil(out/16)][in][16],
// the last panel padded with zeros.
struct Weights {
  int64_t out = 0, in = 0;
  std::shared_ptr<float> panels;
};
Weights pack(const float* weight, int64_t out, int64_t in, int64_t row_stride);

// y [rows][out] (rows y_stride apart) = act(x W^T + bias) + residual, where x is [rows][in]
// (rows x_stride apart), act is GELU (erf) when gelu is set, and bias and residual (rows
// residual_stride apart) may be null. y must not overlap x; it may be residual.
struct Product {
  const float* x = nullptr;
  int64_t rows = 0, x_stride = 0;
  const float* bias = nullptr;
  const float* residual = nullptr;
  int64_t residual_stride = 0;
  float* y = nullptr;
  int64_t y_stride = 0;
  bool gelu = false;
};
void run(const Product& product, const Weights& weights);

}  // namespace vedkit::packed_product
