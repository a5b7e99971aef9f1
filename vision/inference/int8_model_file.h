#pragma once

#include <stdexcept>
#include <string>

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

// The precision (core/precision.h) a model from file runs in: the one asked for, but an int8
// file runs in float32 around its int8 convolutions, so "auto" means float32 there and
// bfloat16 is a ModelFileError saying to leave it out.
inline std::string precision_for(const ModelFile& file, const std::string& precision) {
  if (file.contents().int8_ranges.empty() || precision == "float32") return precision;
  if (precision == "auto") return "float32";
  throw ModelFileError(file.path() +
                       ": an int8 model file (vedkit-export --int8); it runs in int8, not in " +
                       precision + ": leave out --precision");
}

}  // namespace vedkit
