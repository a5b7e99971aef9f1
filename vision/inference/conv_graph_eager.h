#pragma once

#include <ATen/core/Tensor.h>

#include <functional>

#include "vision/inference/conv_graph.h"

namespace vedkit {

// Runs a ConvGraph op by op with ATen's float32 operators, handing each value to `seen` as it
// is made ([B, C, H, W]); a value is dropped once no later op reads it. The reference the
// int8 calibration observes (conv_graph_calibration.h).
void run_conv_graph_eagerly(const ConvGraph& graph, const at::Tensor& input,
                            const std::function<void(ConvGraph::Value, const at::Tensor&)>& seen);

}  // namespace vedkit
