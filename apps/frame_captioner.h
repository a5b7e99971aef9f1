#pragma once

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <opencv2/core/mat.hpp>
#include <string>
#include <vector>

#include "text/load_caption_model.h"

namespace vedkit {

struct FrameCaption {
  std::string text;
  // The generated tokens that have text (specials such as <unk> are left out), in order.
  std::vector<std::string> words;
  // [words, rows, columns]: each word's cross-attention over the encoder's token grid, when
  // asked for.
  at::Tensor attention;
  cv::Rect region;       // the part of the frame the model saw
  double seconds = 0.0;  // what captioning took
};

// Captions camera frames and images with a loaded captioner: each frame is scaled to cover the
// model's input size and centre-cropped to it, as the training images were.
class FrameCaptioner {
 public:
  // size: [height, width], multiples of the encoder's size_multiple; empty takes the model's
  // data.size, else 128 x 128.
  FrameCaptioner(LoadedCaptionModel loaded, std::vector<int64_t> size, bool attention);

  // frame: 8-bit BGR or grey, any size.
  FrameCaption caption(const cv::Mat& frame);

  const std::vector<int64_t>& size() const { return size_; }

 private:
  LoadedCaptionModel loaded_;
  std::vector<int64_t> size_;
  bool attention_;
};

}  // namespace vedkit
