#pragma once

#include "apps/train_segmentation.h"

namespace vedkit {

// Wires a `task: captioning` config: captions and their split, the tokenizer learnt from the
// training captions, the model, decoding, trainer. Returns the exit code.
int train_captioning(Config& config, const TrainArgs& args);

}  // namespace vedkit
