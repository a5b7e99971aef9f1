#include "vision/inference/conv_graph_eager.h"

#include <ATen/ATen.h>

#include <vector>

#include "vision/layers/activation.h"

namespace vedkit {
namespace {

using Kind = ConvGraph::Kind;

at::Tensor run_op(const ConvGraph::Op& op, const std::vector<at::Tensor>& values) {
  const auto& x = values[op.inputs.at(0)];
  switch (op.kind) {
    case Kind::kInput:
      break;
    case Kind::kConv: {
      auto y = at::conv2d(x, op.weight, op.bias, {op.stride, op.stride}, {op.padding, op.padding},
                          {op.dilation, op.dilation}, op.groups);
      if (op.inputs.size() > 1) y = y + values[op.inputs[1]];
      return activate(y, op.activation);
    }
    case Kind::kMaxPool:
      return at::max_pool2d(x, {op.kernel, op.kernel}, {op.stride, op.stride},
                            {op.padding, op.padding});
    case Kind::kUpsample: {
      const auto& like = op.inputs.size() > 1 ? values[op.inputs[1]] : at::Tensor();
      const int64_t h = like.defined() ? like.size(2) : 2 * x.size(2);
      const int64_t w = like.defined() ? like.size(3) : 2 * x.size(3);
      return at::upsample_nearest2d(x, {h, w});
    }
    case Kind::kConcat:
      return at::cat({x, values[op.inputs[1]]}, 1);
    case Kind::kMean:
      return x.mean({2, 3}, /*keepdim=*/true);
    case Kind::kScale:
      return x * values[op.inputs[1]];
    case Kind::kResize: {
      const auto& like = values[op.inputs[1]];
      return at::upsample_bilinear2d(x, {like.size(2), like.size(3)}, /*align_corners=*/false);
    }
  }
  return x;
}

}  // namespace

void run_conv_graph_eagerly(const ConvGraph& graph, const at::Tensor& input,
                            const std::function<void(ConvGraph::Value, const at::Tensor&)>& seen) {
  const auto& ops = graph.ops();
  const auto count = static_cast<ConvGraph::Value>(ops.size());
  std::vector<ConvGraph::Value> last_use(count, -1);
  for (ConvGraph::Value v = 0; v < count; ++v) {
    for (auto input_value : ops[v].inputs) last_use[input_value] = v;
  }
  std::vector<at::Tensor> values(count);
  for (ConvGraph::Value v = 0; v < count; ++v) {
    values[v] = ops[v].kind == Kind::kInput ? input : run_op(ops[v], values);
    seen(v, values[v]);
    for (auto input_value : ops[v].inputs) {
      if (last_use[input_value] == v) values[input_value] = at::Tensor();
    }
  }
}

}  // namespace vedkit
