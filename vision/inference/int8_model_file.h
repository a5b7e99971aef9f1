#pragma once

#include <stdexcept>

#include "core/error.h"
#include "core/model_file.h"

namespace vedkit {

// Runs model's convolutions in int8 where its file holds int8 ranges (vedkit-export --int8);
// ranges calibrated on another graph are a ModelFileError naming the file.
template <typename Model>
void use_int8_of(const ModelFile& file, Model& model) {
  if (file.contents().int8_ranges.empty()) return;
  try {
    model.use_int8(file.contents().int8_ranges);
  } catch (const std::invalid_argument& e) {
    throw ModelFileError(file.path() + ": " + e.what());
  }
}

}  // namespace vedkit
