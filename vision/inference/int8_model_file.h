#pragma once

#include <iostream>
#include <stdexcept>
#include <string>

#include "core/error.h"
#include "core/model_file.h"
#include "vision/inference/lazy_conv_graph.h"

namespace vedkit {

// Runs model's convolutions in int8 where its file holds int8 ranges (vedkit-export --int8);
// ranges calibrated on another graph are a ModelFileError naming the file. Where the oneDNN
// graphs are off, the model runs in float32, and a line on stderr says so.
template <typename Model>
void use_int8_of(const ModelFile& file, Model& model) {
  if (file.contents().int8_ranges.empty()) return;
  if (!conv_graph_enabled()) {
    std::cerr
        << file.path()
        << ": an int8 model file, run in float32: int8 runs in the oneDNN graphs, which are off "
           "(VEDKIT_CONV_GRAPH=0) or not in this build\n";
  }
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
