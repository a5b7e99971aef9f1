#pragma once

#include <ATen/core/Tensor.h>
#include <torch/nn/module.h>

#include <string>
#include <vector>

#include "vision/inference/conv_graph.h"

namespace vedkit {

// Int8 calibration: the largest magnitude each value of a graph takes over the images it is
// shown, run through the float32 graph op by op. The same images in the same order give the
// same ranges.
class ConvGraphCalibration {
 public:
  explicit ConvGraphCalibration(const ConvGraph& graph);

  // images [B, C, H, W] float32, as the graph's input takes them.
  void observe(const at::Tensor& images);
  // Per value; a value never seen reads 0.
  const std::vector<float>& ranges() const { return ranges_; }

 private:
  const ConvGraph& graph_;
  std::vector<float> ranges_;
};

// Which values int8 inference holds in int8: what every convolution makes, except one only the
// caller reads (given in float32), and what max-pooling, upsampling and concatenation make of
// int8 values. The rest (the input, means, scales, bilinear resizes) stay float32.
std::vector<bool> int8_values(const ConvGraph& graph);

// Throws std::invalid_argument unless ranges has one entry per value of graph (a file
// calibrated on another version of the model).
void check_int8_ranges(const ConvGraph& graph, const std::vector<float>& ranges);

// The same as text for a model file: how many of each kind of op run in int8 and in float32,
// naming the float32 convolutions by the modules whose weights they hold.
std::string describe_int8_layers(const ConvGraph& graph, const torch::nn::Module& model);

}  // namespace vedkit
