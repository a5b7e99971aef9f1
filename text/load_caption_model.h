#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "text/caption_model.h"
#include "text/decoding.h"
#include "text/tokenizer.h"

namespace vedkit {

// A captioner as a model file holds it: the model (ready for inference), the tokenizer its
// vocabulary rebuilds, and the decoding its config's `decode` section asks for.
struct LoadedCaptionModel {
  CaptionModel model{nullptr};
  std::shared_ptr<Tokenizer> tokenizer;
  DecodingOptions decoding;
  // [height, width] of the images it was trained on (`data.size`); empty when the config has none.
  std::vector<int64_t> input_size;
};

// Another task's file, or one without a vocabulary, is a ModelFileError. precision: float32 or
// bfloat16 (core/precision.h).
LoadedCaptionModel load_caption_model(const std::string& path,
                                      const std::string& precision = "float32");

}  // namespace vedkit
