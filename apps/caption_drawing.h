#pragma once

#include <ATen/core/Tensor.h>

#include <opencv2/core/mat.hpp>
#include <string>

#include "apps/frame_captioner.h"

namespace vedkit {

// One word's attention [rows, columns] over the region the model saw: scaled to its maximum,
// upsampled to the region, colour-mapped (red = most attended) and blended over the frame, the
// region outlined when it is not the whole frame, and the word written at the top.
cv::Mat attention_image(const cv::Mat& frame, const cv::Rect& region, const at::Tensor& attention,
                        const std::string& word);

// Writes one attention_image per word of caption as dir/<name>_<k>_<word>.png (k from 1);
// returns how many.
int write_attention_maps(const std::string& dir, const std::string& name, const cv::Mat& frame,
                         const FrameCaption& caption);

}  // namespace vedkit
