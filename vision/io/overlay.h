#pragma once

#include <ATen/core/Tensor.h>
#include <opencv2/core/mat.hpp>

#include <array>
#include <string>
#include <vector>

namespace vedkit {

// The PASCAL VOC colour map: class 0 black, then distinct colours by bit interleaving.
std::array<uint8_t, 3> class_colour(int64_t class_index);  // RGB

// classes [H, W] int64 -> BGR image of the class colours.
cv::Mat colour_mask(const at::Tensor& classes);

// Blends the colour mask over image (8-bit BGR) at alpha, leaves background pixels (class 0)
// as they are, and writes the names of the classes present in a legend at the top left.
cv::Mat overlay_mask(const cv::Mat& image, const at::Tensor& classes,
                     const std::vector<std::string>& class_names, double alpha = 0.6);

// map [H, W] as BGR colours: 0 blue to full_scale and above red (OpenCV's JET colours).
cv::Mat heat_colours(const at::Tensor& map, double full_scale);

// colours (8-bit BGR, the image's size) blended over image (8-bit BGR or grey) at alpha; BGR.
cv::Mat blend_over(const cv::Mat& image, const cv::Mat& colours, double alpha = 0.5);

// A heat map of map [H, W] (0 blue to full_scale and above red, OpenCV's JET colours)
// blended over image (8-bit BGR or grey, the map's size) at alpha; BGR.
cv::Mat heat_overlay(const cv::Mat& image, const at::Tensor& map, double full_scale,
                     double alpha = 0.5);

}  // namespace vedkit
