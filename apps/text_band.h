#pragma once

#include <opencv2/core/mat.hpp>
#include <string>

namespace vedkit {

// Writes text in white on a dark band along the bottom (top = true: along the top) of image,
// wrapped to its width, three lines at most.
void draw_text_band(cv::Mat& image, const std::string& text, bool top = false);

}  // namespace vedkit
