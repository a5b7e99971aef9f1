#pragma once

#include <torch/types.h>

#include <memory>

#include "vision/layers/packed_product.h"

namespace vedkit {

// A float32 CPU weight [out, in] (unit stride along in) packed for packed_product::run, packed
// once and kept while the weight lives and is unchanged: an in-place update (an optimizer
// step, a load) bumps its version and the next call packs it again. Null where the weight's
// changes cannot be seen (a tensor made in inference mode keeps no version).
std::shared_ptr<const packed_product::Weights> packed_weights(const torch::Tensor& weight);

}  // namespace vedkit
