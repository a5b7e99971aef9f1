#include "vision/inference/lazy_conv_graph.h"

#include <ATen/core/grad_mode.h>

#include <atomic>
#include <cstdlib>
#include <string>

namespace vedkit {
namespace {

// VEDKIT_CONV_GRAPH=0 turns the graphs off for a whole run, say to compare or to rule them out.
bool enabled_by_environment() {
  const char* set = std::getenv("VEDKIT_CONV_GRAPH");
  return set == nullptr || std::string(set) != "0";
}

std::atomic<bool> enabled{enabled_by_environment()};
std::atomic<int64_t> passes{0};

}  // namespace

bool conv_graph_enabled() { return enabled && ConvGraphRunner::available(); }

void set_conv_graph_enabled(bool on) { enabled = on; }

int64_t conv_graph_passes() { return passes; }

std::vector<torch::Tensor> LazyConvGraph::run(const torch::Tensor& input, bool training) {
  if (!conv_graph_enabled() || training || at::GradMode::is_enabled() ||
      input.scalar_type() != torch::kFloat || !input.device().is_cpu()) {
    return {};
  }
  std::shared_ptr<ConvGraphRunner> runner;
  {
    std::lock_guard<std::mutex> lock(building_);
    if (!graph_ || !graph_->weights_unchanged()) {
      runner_.reset();
      graph_ = describe_();
      if (graph_) runner_ = std::make_shared<ConvGraphRunner>(graph_, int8_ranges_);
    }
    runner = runner_;
  }
  if (!runner) return {};
  auto outputs = runner->run(input);
  if (!outputs.empty()) ++passes;
  return outputs;
}

void LazyConvGraph::set_int8_ranges(std::vector<float> ranges) {
  std::lock_guard<std::mutex> lock(building_);
  int8_ranges_ = std::move(ranges);
  graph_.reset();
  runner_.reset();
}

}  // namespace vedkit
