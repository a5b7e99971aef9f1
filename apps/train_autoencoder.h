#pragma once

#include "apps/train_segmentation.h"

namespace vedkit {

// Wires a `task: autoencoder` config: model, losses, images, trainer. Returns the exit code.
int train_autoencoder(Config& config, const TrainArgs& args);

}  // namespace vedkit
