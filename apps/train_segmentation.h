#pragma once

#include <string>

#include "core/config.h"

namespace vedkit {

struct TrainArgs {
  std::string resume;
  bool print_config = false;
  bool quiet = false;
};

// Wires a `task: segmentation` config: model, loss, data, trainer. Returns the exit code.
int train_segmentation(Config& config, const TrainArgs& args);

}  // namespace vedkit
