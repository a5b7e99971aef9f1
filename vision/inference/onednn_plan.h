#pragma once
// Internal to the oneDNN runner (conv_graph_runner.cpp): how one input shape of a ConvGraph
// becomes a list of oneDNN primitives over planned buffers.

#include <dnnl.hpp>
#include <functional>
#include <list>
#include <memory>
#include <unordered_map>
#include <vector>

#include "vision/inference/aligned_buffer.h"
#include "vision/inference/conv_graph.h"
#include "vision/inference/winograd.h"

namespace vedkit {

// Buffers handed out by size, best fit first, and taken back when the value in them dies, so
// a plan holds about the largest set of values alive at once.
class BufferPool {
 public:
  int take(size_t bytes);
  void give_back(int buffer) { free_.push_back(buffer); }
  char* data(int buffer) const { return static_cast<char*>(buffers_[buffer].get()); }

 private:
  std::vector<AlignedBuffer> buffers_;
  std::vector<size_t> sizes_;
  std::vector<int> free_;
};

// A oneDNN primitive on its arguments, or a kernel of vedkit's own (`own`, where set).
struct OnednnStep {
  dnnl::primitive primitive;
  std::unordered_map<int, dnnl::memory> args;
  std::function<void()> own = nullptr;
};

struct OnednnPlan {
  BufferPool pool;
  std::vector<OnednnStep> steps;
  dnnl::memory input;                 // nchw; its handle set to each run's input
  std::vector<dnnl::memory> outputs;  // nhwc; their handles set to each run's result tensors
  std::vector<dnnl::memory::dims> output_dims;
  std::list<std::vector<float>> constants;  // what the steps read besides the graph's weights
};

// A convolution's weights in the layout its chosen kernel wants (packed once, then shared); a
// 1x1 layout of a larger kernel asks for its centre taps alone.
using PackWeight =
    std::function<dnnl::memory(ConvGraph::Value conv, const dnnl::memory::desc& layout)>;
// A 3x3 convolution's weights transformed for Winograd's algorithm (once, then shared).
using PackWinograd = std::function<winograd::Weights(ConvGraph::Value conv)>;

// Thrown where the graph cannot run on a shape; the runner then answers empty.
struct UnsupportedShape {};

// `block`: the channel block of the layout this CPU's convolutions choose (8 with AVX2, 16
// with AVX-512), or 0 if they chose none; concatenations are laid out in place for it. With
// 8, 3x3 stride-1 convolutions on maps big enough take Winograd's algorithm
// (winograd.h) where `winograd_allowed`; oneDNN's direct kernels take the rest. With
// int8_ranges (each value's calibrated largest magnitude, conv_graph_calibration.h), the
// convolutions run in int8 and pack_weight is asked for s8 layouts (int8_weights.h).
std::unique_ptr<OnednnPlan> plan_conv_graph(
    const ConvGraph& graph, const dnnl::memory::dims& input_shape, const dnnl::engine& engine,
    int64_t block, const PackWeight& pack_weight, const PackWinograd& pack_winograd,
    bool winograd_allowed, const std::vector<float>& int8_ranges = {});

// The channel block oneDNN's float32 convolutions choose on this CPU (see above).
int64_t preferred_channel_block(const dnnl::engine& engine);

}  // namespace vedkit
