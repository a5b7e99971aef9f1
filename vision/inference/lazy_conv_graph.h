#pragma once

#include <torch/types.h>

#include <functional>
#include <memory>
#include <mutex>
#include <vector>

#include "vision/inference/conv_graph.h"
#include "vision/inference/conv_graph_runner.h"

namespace vedkit {

// Whether float32 CPU inference runs whole convolutional networks through oneDNN
// (conv_graph_runner.h) where it can, or op by op through torch. On by default where the build
// has oneDNN, off where the environment sets VEDKIT_CONV_GRAPH=0; tests and benchmarks turn it
// off to compare.
bool conv_graph_enabled();
void set_conv_graph_enabled(bool enabled);
// How many passes graphs have answered in this process: which path ran, for tests and benches.
int64_t conv_graph_passes();

// A model's graph, described when first needed and again whenever its weights have changed.
// run() answers the graph's outputs, or nothing where the eager path must run instead: the
// switch is off, the model is training or gradients are on, the input is not float32 on the
// CPU, the model cannot be described (describe answers null) or the shape cannot run.
class LazyConvGraph {
 public:
  using Describe = std::function<std::shared_ptr<ConvGraph>()>;
  explicit LazyConvGraph(Describe describe) : describe_(std::move(describe)) {}

  std::vector<torch::Tensor> run(const torch::Tensor& input, bool training);
  // From now on its convolutions run in int8, at these calibrated ranges of the graph's values
  // (conv_graph_calibration.h); empty: float32.
  void set_int8_ranges(std::vector<float> ranges);

 private:
  Describe describe_;
  std::mutex building_;
  std::shared_ptr<ConvGraph> graph_;
  std::shared_ptr<ConvGraphRunner> runner_;
  std::vector<float> int8_ranges_;
};

}  // namespace vedkit
