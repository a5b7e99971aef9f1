#pragma once

#include <ATen/core/Tensor.h>
#include <opencv2/core/mat.hpp>

#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace vedkit {

// Reads any image OpenCV decodes (PNG, JPEG, BMP, TIFF, WebP; 8 or 16 bit; grey, colour or
// with alpha) as float [channels, H, W] in [0, 1], channels in RGB order. 1 channel is the
// luminance; 3 is RGB (grey is repeated); alpha is dropped. An unreadable file is a
// DataError naming it.
at::Tensor read_image(const std::string& path, int64_t channels);

// read_image, then scaled to cover height x width and centre-cropped to it.
at::Tensor read_image_covering(const std::string& path, int64_t channels, int64_t height, int64_t width);

// Reads a single-channel class-index mask (8 or 16 bit) as int64 [H, W]. A colour mask is a
// DataError unless the caller maps it (see read_colour_mask).
at::Tensor read_mask(const std::string& path);

// Reads a colour mask and maps each RGB colour to its class through palette (class index =
// position); a colour not in the palette becomes ignore_index.
at::Tensor read_colour_mask(const std::string& path, const std::vector<std::array<uint8_t, 3>>& palette,
                            int64_t ignore_index);

// The file decoded as it is (any depth and channel count), or a DataError naming it and what
// is wrong: missing, over max_image_pixels() (from the header, before decoding), a PNG or JPEG
// cut short (which libpng and libjpeg would decode with a grey remainder), or undecodable.
cv::Mat read_image_unchanged(const std::string& path);

// The most pixels an image may have: OpenCV's CV_IO_MAX_IMAGE_PIXELS where set, else its
// default of 2^30.
uint64_t max_image_pixels();
// Any decoded image as 8-bit BGR, for display and overlays.
cv::Mat to_bgr8(const cv::Mat& image);

// image scaled to cover height x width and centre-cropped to it, as read_image_covering does.
cv::Mat resize_covering(const cv::Mat& image, int64_t height, int64_t width);
// The part of an image of `size` that resize_covering keeps, in the image's pixels.
cv::Rect covering_region(cv::Size size, int64_t height, int64_t width);

// Conversions between OpenCV images (8-bit BGR / grey) and float [C, H, W] RGB tensors in
// [0, 1].
at::Tensor image_to_tensor(const cv::Mat& image, int64_t channels);
cv::Mat tensor_to_image(const at::Tensor& chw);

// Writes a PNG, creating the folder; a failure is a DataError naming the path.
void write_png(const std::string& path, const cv::Mat& image);

}  // namespace vedkit
