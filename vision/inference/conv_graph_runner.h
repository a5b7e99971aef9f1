#pragma once

#include <torch/types.h>

#include <memory>
#include <vector>

#include "vision/inference/conv_graph.h"

namespace vedkit {

// Runs a ConvGraph in float32 on the CPU through oneDNN (Debian's libdnnl-dev, the library
// LibTorch's own convolutions call), the way inference engines do rather than op by op:
// every value in the blocked layout oneDNN's kernels want on this CPU (8 channels a block on
// AVX2, 16 on AVX-512), weights reordered to it once, bias, residual sum and ReLU fused into
// each convolution, buffers planned once per input shape and reused. Plans for the last few
// input shapes are kept. One run at a time; concurrent calls wait for each other.
class ConvGraphRunner {
 public:
  // With int8_ranges (the graph's values' calibrated magnitudes, conv_graph_calibration.h),
  // its convolutions run in int8 (onednn_plan.h).
  explicit ConvGraphRunner(std::shared_ptr<const ConvGraph> graph,
                           std::vector<float> int8_ranges = {});
  ~ConvGraphRunner();
  ConvGraphRunner(const ConvGraphRunner&) = delete;
  ConvGraphRunner& operator=(const ConvGraphRunner&) = delete;

  // Whether this build has oneDNN; without it run() always answers empty.
  static bool available();

  // input [B, C, H, W] float32 on the CPU -> the graph's outputs, [B, C_i, H_i, W_i] channels-last.
  // Empty where the graph cannot run on this shape (a resize by a fractional factor, a kernel
  // oneDNN lacks): then use the eager path.
  std::vector<torch::Tensor> run(const torch::Tensor& input);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace vedkit
