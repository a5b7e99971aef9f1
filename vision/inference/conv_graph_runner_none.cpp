// Built where CMake found no oneDNN: every graph runs on the eager path.
#include "vision/inference/conv_graph_runner.h"

namespace vedkit {

struct ConvGraphRunner::Impl {};

ConvGraphRunner::ConvGraphRunner(std::shared_ptr<const ConvGraph>, std::vector<float>) {}
ConvGraphRunner::~ConvGraphRunner() = default;
bool ConvGraphRunner::available() { return false; }
std::vector<torch::Tensor> ConvGraphRunner::run(const torch::Tensor&) { return {}; }

}  // namespace vedkit
