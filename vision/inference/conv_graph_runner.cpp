// Built only where CMake found oneDNN (VEDKIT_WITH_ONEDNN); conv_graph_runner_none.cpp otherwise.
#include "vision/inference/conv_graph_runner.h"

#include <ATen/ops/empty.h>

#include <array>
#include <list>
#include <mutex>

#include "vision/inference/int8_weights.h"
#include "vision/inference/onednn_plan.h"

namespace vedkit {

struct ConvGraphRunner::Impl {
  using Shape = std::array<int64_t, 4>;
  static constexpr size_t kPlansKept = 4;

  std::shared_ptr<const ConvGraph> graph;
  std::vector<float> int8_ranges;
  dnnl::engine engine{dnnl::engine::kind::cpu, 0};
  dnnl::stream stream{engine};
  int64_t block = preferred_channel_block(engine);
  std::mutex running;
  // Each convolution's weights in every layout a plan's kernel wanted.
  std::unordered_map<ConvGraph::Value, std::vector<std::pair<dnnl::memory::desc, dnnl::memory>>>
      packed_weights;
  std::unordered_map<ConvGraph::Value, winograd::Weights> winograd_weights;
  // The most recently used first; none where the shape cannot run.
  std::list<std::pair<Shape, std::unique_ptr<OnednnPlan>>> plans;

  dnnl::memory packed_weight(ConvGraph::Value conv, const dnnl::memory::desc& layout) {
    auto& kept = packed_weights[conv];
    for (auto& [desc, packed] : kept) {
      if (desc == layout) return packed;
    }
    // torch's weights as they lie, channels-last included; grouped ones as [G, O / G, ...].
    const auto& op = graph->ops()[conv];
    // A plan asks for a 1x1 layout of a larger kernel where only its centre tap can fall on
    // the map (onednn_plan.cpp).
    const bool centre_only = layout.dims().back() == 1 && op.kernel > 1;
    const auto int8 = layout.data_type() == dnnl::memory::data_type::s8;
    const auto full = int8 ? int8_weights(op.weight, int8_weight_scales(op.weight)) : op.weight;
    const auto w = centre_only ? full.slice(2, op.kernel / 2, op.kernel / 2 + 1)
                                     .slice(3, op.kernel / 2, op.kernel / 2 + 1)
                               : full;
    dnnl::memory::dims dims(w.sizes().begin(), w.sizes().end());
    dnnl::memory::dims strides(w.strides().begin(), w.strides().end());
    if (op.groups > 1) {
      dims.insert(dims.begin(), op.groups);
      dims[1] /= op.groups;
      strides.insert(strides.begin(), dims[1] * strides[0]);
    }
    const dnnl::memory::desc source_desc(dims, layout.data_type(), strides);
    dnnl::memory source(source_desc, engine, w.data_ptr());
    dnnl::memory packed(layout, engine);
    dnnl::reorder(source, packed).execute(stream, source, packed);
    stream.wait();
    kept.emplace_back(layout, packed);
    return packed;
  }

  winograd::Weights transformed_weight(ConvGraph::Value conv) {
    auto found = winograd_weights.find(conv);
    if (found != winograd_weights.end()) return found->second;
    const auto& w = graph->ops()[conv].weight;
    const int64_t strides[4] = {w.stride(0), w.stride(1), w.stride(2), w.stride(3)};
    return winograd_weights[conv] =
               winograd::transform_weights(w.data_ptr<float>(), strides, w.size(0), w.size(1));
  }

  OnednnPlan* plan_for(const Shape& shape) {
    for (auto it = plans.begin(); it != plans.end(); ++it) {
      if (it->first == shape) {
        plans.splice(plans.begin(), plans, it);
        return it->second.get();
      }
    }
    std::unique_ptr<OnednnPlan> plan;
    try {
      plan = plan_conv_graph(
          *graph, {shape.begin(), shape.end()}, engine, block,
          [this](ConvGraph::Value conv, const dnnl::memory::desc& layout) {
            return packed_weight(conv, layout);
          },
          [this](ConvGraph::Value conv) { return transformed_weight(conv); }, winograd::enabled(),
          int8_ranges);
    } catch (const UnsupportedShape&) {
    } catch (const dnnl::error&) {
      // oneDNN has no kernel for some operation at this shape.
    }
    plans.emplace_front(shape, std::move(plan));
    if (plans.size() > kPlansKept) plans.pop_back();
    return plans.front().second.get();
  }
};

ConvGraphRunner::ConvGraphRunner(std::shared_ptr<const ConvGraph> graph,
                                 std::vector<float> int8_ranges)
    : impl_(std::make_unique<Impl>()) {
  impl_->graph = std::move(graph);
  impl_->int8_ranges = std::move(int8_ranges);
}

ConvGraphRunner::~ConvGraphRunner() = default;

bool ConvGraphRunner::available() { return true; }

std::vector<torch::Tensor> ConvGraphRunner::run(const torch::Tensor& input) {
  if (input.dim() != 4 || input.scalar_type() != torch::kFloat || !input.device().is_cpu()) {
    return {};
  }
  const auto x = input.contiguous();
  std::lock_guard<std::mutex> lock(impl_->running);
  auto* plan = impl_->plan_for({x.size(0), x.size(1), x.size(2), x.size(3)});
  if (!plan) return {};
  plan->input.set_data_handle(x.data_ptr<float>());
  std::vector<torch::Tensor> outputs;
  for (size_t i = 0; i < plan->outputs.size(); ++i) {
    outputs.push_back(at::empty(plan->output_dims[i], x.options(), at::MemoryFormat::ChannelsLast));
    plan->outputs[i].set_data_handle(outputs.back().data_ptr<float>());
  }
  for (auto& step : plan->steps) {
    if (step.own) {
      step.own();
    } else {
      step.primitive.execute(impl_->stream, step.args);
    }
  }
  impl_->stream.wait();
  return outputs;
}

}  // namespace vedkit
