#pragma once

#include <string>

#include "core/config.h"

namespace vedkit {

// Builds the segmentation model config's `model` section describes, fills every tensor from
// state_dict (vedkit's names, as scripts/import_torchvision.py writes them; the normalisation
// comes from the config) and writes it to out as a model file whose vocabulary is
// data.class_names. A missing, extra or misshapen tensor is an Error naming it. Returns the
// number of tensors copied.
int64_t import_segmentation_model(Config& config, const std::string& state_dict,
                                  const std::string& out);

}  // namespace vedkit
