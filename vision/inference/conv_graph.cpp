#include "vision/inference/conv_graph.h"

#include <c10/util/Exception.h>
#include <torch/version.h>

#include <variant>

namespace vedkit {

ConvGraph::Value ConvGraph::add(Op op) {
  for (Value v : op.inputs) {
    TORCH_CHECK(v >= 0 && v < static_cast<Value>(ops_.size()), "ConvGraph: no value ", v);
  }
  ops_.push_back(std::move(op));
  return static_cast<Value>(ops_.size()) - 1;
}

ConvGraph::Stamp ConvGraph::stamp(const torch::Tensor& t) {
  // Tensors made under InferenceMode (weights folded there) keep no version counter.
  return {t.data_ptr(), t.is_inference() ? 0 : t._version(), t.scalar_type()};
}

bool ConvGraph::weights_unchanged() const {
  for (const auto& [tensor, was] : stamps_) {
    const auto now = stamp(tensor);
    if (now.data != was.data || now.version != was.version || now.dtype != was.dtype) return false;
  }
  return true;
}

ConvGraph::Value ConvGraph::input(int64_t channels) {
  Op op;
  op.kind = Kind::kInput;
  op.channels = channels;
  return add(std::move(op));
}

ConvGraph::Value ConvGraph::conv(Value x, const torch::Tensor& weight, const torch::Tensor& bias,
                                 int64_t stride, int64_t padding, bool relu, Value residual) {
  return conv(x, weight, bias, stride, padding, relu ? Activation::kReLU : Activation::kNone,
              residual);
}

ConvGraph::Value ConvGraph::conv(Value x, const torch::Tensor& weight, const torch::Tensor& bias,
                                 int64_t stride, int64_t padding, Activation activation,
                                 Value residual, int64_t dilation, int64_t groups) {
  TORCH_CHECK(weight.dim() == 4 && weight.size(2) == weight.size(3) &&
                  weight.scalar_type() == torch::kFloat,
              "ConvGraph: expected a square float32 kernel, got ", weight.sizes());
  TORCH_CHECK(groups >= 1 && weight.size(1) * groups == channels(x) && weight.size(0) % groups == 0,
              "ConvGraph: a kernel for ", weight.size(1), " channels in ", groups,
              " groups on a value of ", channels(x));
  Op op;
  op.kind = Kind::kConv;
  op.inputs = {x};
  if (residual != kNone) {
    TORCH_CHECK(channels(residual) == weight.size(0), "ConvGraph: residual channels differ");
    op.inputs.push_back(residual);
  }
  op.channels = weight.size(0);
  TORCH_CHECK(!bias.defined() || (bias.dim() == 1 && bias.size(0) == weight.size(0) &&
                                  bias.scalar_type() == torch::kFloat && bias.is_contiguous()),
              "ConvGraph: expected a contiguous float32 bias of ", weight.size(0));
  op.weight = weight;
  op.bias = bias;
  stamps_.emplace_back(weight, stamp(weight));
  if (bias.defined()) stamps_.emplace_back(bias, stamp(bias));
  op.kernel = weight.size(2);
  op.stride = stride;
  op.padding = padding;
  op.dilation = dilation;
  op.groups = groups;
  op.activation = activation;
  return add(std::move(op));
}

ConvGraph::Value ConvGraph::max_pool(Value x, int64_t kernel, int64_t stride, int64_t padding) {
  Op op;
  op.kind = Kind::kMaxPool;
  op.inputs = {x};
  op.channels = channels(x);
  op.kernel = kernel;
  op.stride = stride;
  op.padding = padding;
  return add(std::move(op));
}

ConvGraph::Value ConvGraph::upsample_nearest(Value x, Value like) {
  Op op;
  op.kind = Kind::kUpsample;
  op.inputs = {x, like};
  op.channels = channels(x);
  return add(std::move(op));
}

ConvGraph::Value ConvGraph::upsample_nearest(Value x) {
  Op op;
  op.kind = Kind::kUpsample;
  op.inputs = {x};
  op.channels = channels(x);
  op.stride = 2;
  return add(std::move(op));
}

ConvGraph::Value ConvGraph::concat(Value a, Value b) {
  Op op;
  op.kind = Kind::kConcat;
  op.inputs = {a, b};
  op.channels = channels(a) + channels(b);
  return add(std::move(op));
}

ConvGraph::Value ConvGraph::mean(Value x) {
  Op op;
  op.kind = Kind::kMean;
  op.inputs = {x};
  op.channels = channels(x);
  return add(std::move(op));
}

ConvGraph::Value ConvGraph::scale(Value x, Value s) {
  TORCH_CHECK(channels(x) == channels(s), "ConvGraph: scale channels differ");
  Op op;
  op.kind = Kind::kScale;
  op.inputs = {x, s};
  op.channels = channels(x);
  return add(std::move(op));
}

ConvGraph::Value ConvGraph::resize_bilinear(Value x, Value like) {
  Op op;
  op.kind = Kind::kResize;
  op.inputs = {x, like};
  op.channels = channels(x);
  return add(std::move(op));
}

namespace {

// torch's option variants: c10::variant up to LibTorch 2.0, std::variant since.
template <typename T, typename Variant>
const T* alternative(const Variant& v) {
#if TORCH_VERSION_MAJOR * 100 + TORCH_VERSION_MINOR >= 201
  return std::get_if<T>(&v);
#else
  return c10::get_if<T>(&v);
#endif
}

}  // namespace

ConvGraph::Value describe_conv(ConvGraph& graph, ConvGraph::Value x, const torch::nn::Conv2d& conv,
                               bool relu, ConvGraph::Value residual) {
  return describe_conv(graph, x, conv, relu ? Activation::kReLU : Activation::kNone, residual);
}

ConvGraph::Value describe_conv(ConvGraph& graph, ConvGraph::Value x, const torch::nn::Conv2d& conv,
                               Activation activation, ConvGraph::Value residual) {
  const auto& o = conv->options;
  const auto* padding = alternative<torch::ExpandingArray<2>>(o.padding());
  TORCH_CHECK(padding && (*padding)->at(0) == (*padding)->at(1) &&
                  (*o.stride())[0] == (*o.stride())[1] &&
                  (*o.dilation())[0] == (*o.dilation())[1] &&
                  alternative<torch::enumtype::kZeros>(o.padding_mode()),
              "ConvGraph: a convolution it cannot describe");
  return graph.conv(x, conv->weight, conv->bias, (*o.stride())[0], (*padding)->at(0), activation,
                    residual, (*o.dilation())[0], o.groups());
}

}  // namespace vedkit
