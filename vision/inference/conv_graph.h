#pragma once

#include <torch/nn/modules/conv.h>
#include <torch/types.h>

#include <cstdint>
#include <vector>

namespace vedkit {

// What follows a convolution, fused into it. kHardsigmoid is torch's: clamp(x / 6 + 1/2, 0, 1).
enum class Activation { kNone, kReLU, kHardswish, kSigmoid, kHardsigmoid };

// A convolutional network at inference, written down as a list of operations on numbered
// values, so that an engine other than torch's eager ops (conv_graph_runner.h) can run it
// whole: with its own memory layouts between layers, weights packed once, and bias, residual
// and ReLU fused into the convolutions. Models describe themselves into one after folding
// batch-norm; the graph shares their weight tensors and can tell when they have changed.
class ConvGraph {
 public:
  using Value = int;
  static constexpr Value kNone = -1;

  enum class Kind { kInput, kConv, kMaxPool, kUpsample, kConcat, kMean, kScale, kResize };

  struct Op {
    Kind kind = Kind::kInput;
    // kConv: {x} or {x, residual}; kUpsample, kResize: {x, like}; kConcat: {a, b};
    // kScale: {x, s}
    std::vector<Value> inputs;
    int64_t channels = 0;  // of the result
    torch::Tensor weight,
        bias;  // kConv: [out, in / groups, k, k] (any strides), [out] or undefined
    int64_t kernel = 1, stride = 1, padding = 0, dilation = 1, groups = 1;
    Activation activation = Activation::kNone;  // kConv: act(conv(x) + bias + residual)
    bool relu() const { return activation == Activation::kReLU; }
  };

  // The network's image input, [B, channels, H, W].
  Value input(int64_t channels);
  // relu?(conv(x, weight) + bias + residual): a square kernel with symmetric padding.
  Value conv(Value x, const torch::Tensor& weight, const torch::Tensor& bias, int64_t stride,
             int64_t padding, bool relu, Value residual = kNone);
  // activation(conv(x, weight) + bias + residual), dilated and grouped as given.
  Value conv(Value x, const torch::Tensor& weight, const torch::Tensor& bias, int64_t stride,
             int64_t padding, Activation activation, Value residual = kNone, int64_t dilation = 1,
             int64_t groups = 1);
  Value max_pool(Value x, int64_t kernel, int64_t stride, int64_t padding);
  // Nearest-neighbour resize of x to the height and width of `like` (an integer factor).
  Value upsample_nearest(Value x, Value like);
  // x to twice its height and width.
  Value upsample_nearest(Value x);
  Value concat(Value a, Value b);  // along channels
  // The mean over height and width, [B, C, 1, 1].
  Value mean(Value x);
  // x [B, C, H, W] times s [B, C, 1, 1].
  Value scale(Value x, Value s);
  // Bilinear resize of x to the height and width of `like` (torch's align_corners=False).
  Value resize_bilinear(Value x, Value like);
  void output(Value v) { outputs_.push_back(v); }

  const std::vector<Op>& ops() const { return ops_; }
  const std::vector<Value>& outputs() const { return outputs_; }
  int64_t channels(Value v) const { return ops_.at(v).channels; }

  // False once any weight or bias has been written to, replaced or converted since it was
  // added (an optimizer step, a loaded file, a cast to bfloat16): then describe the model anew.
  bool weights_unchanged() const;

 private:
  struct Stamp {
    const void* data;
    int64_t version;
    c10::ScalarType dtype;
  };
  static Stamp stamp(const torch::Tensor& t);

  Value add(Op op);
  std::vector<Op> ops_;
  std::vector<std::pair<torch::Tensor, Stamp>> stamps_;
  std::vector<Value> outputs_;
};

// graph.conv with a torch Conv2d's weights, bias, stride, padding, dilation and groups
// (zero-padded and square: what vedkit's models use).
ConvGraph::Value describe_conv(ConvGraph& graph, ConvGraph::Value x, const torch::nn::Conv2d& conv,
                               bool relu, ConvGraph::Value residual = ConvGraph::kNone);
ConvGraph::Value describe_conv(ConvGraph& graph, ConvGraph::Value x, const torch::nn::Conv2d& conv,
                               Activation activation, ConvGraph::Value residual = ConvGraph::kNone);

}  // namespace vedkit
