#include "vision/io/overlay.h"

#include <opencv2/imgproc.hpp>
#include <torch/torch.h>

namespace vedkit {

std::array<uint8_t, 3> class_colour(int64_t class_index) {
  std::array<uint8_t, 3> rgb = {0, 0, 0};
  int64_t c = class_index;
  for (int bit = 7; bit >= 0 && c > 0; --bit, c >>= 3) {
    for (int channel = 0; channel < 3; ++channel) {
      rgb[channel] |= static_cast<uint8_t>(((c >> channel) & 1) << bit);
    }
  }
  return rgb;
}

cv::Mat colour_mask(const at::Tensor& classes) {
  const auto map = classes.to(torch::kCPU, torch::kLong).contiguous();
  cv::Mat out(static_cast<int>(map.size(0)), static_cast<int>(map.size(1)), CV_8UC3);
  const auto values = map.accessor<int64_t, 2>();
  for (int y = 0; y < out.rows; ++y) {
    auto* row = out.ptr<cv::Vec3b>(y);
    for (int x = 0; x < out.cols; ++x) {
      const auto rgb = class_colour(values[y][x]);
      row[x] = cv::Vec3b(rgb[2], rgb[1], rgb[0]);
    }
  }
  return out;
}

cv::Mat overlay_mask(const cv::Mat& image, const at::Tensor& classes,
                     const std::vector<std::string>& class_names, double alpha) {
  cv::Mat blended;
  cv::addWeighted(image, 1 - alpha, colour_mask(classes), alpha, 0, blended);
  cv::Mat background;
  const auto is_background = (classes.to(torch::kCPU) == 0).to(torch::kUInt8).contiguous();
  cv::Mat(blended.rows, blended.cols, CV_8U, is_background.data_ptr<uint8_t>()).copyTo(background);
  image.copyTo(blended, background);

  const auto present = std::get<0>(at::_unique(classes.to(torch::kCPU, torch::kLong).flatten()));
  int line = 0;
  const double scale = std::max(0.35, blended.cols / 640.0);
  const int step = static_cast<int>(18 * scale / 0.5);
  for (int64_t k : std::vector<int64_t>(present.data_ptr<int64_t>(),
                                        present.data_ptr<int64_t>() + present.numel())) {
    if (k == 0) continue;
    const auto rgb = class_colour(k);
    const std::string name = k < static_cast<int64_t>(class_names.size()) ? class_names[k] : std::to_string(k);
    const cv::Point origin(4, 4 + step * ++line);
    cv::putText(blended, name, origin, cv::FONT_HERSHEY_SIMPLEX, scale, cv::Scalar(0, 0, 0), 3);
    cv::putText(blended, name, origin, cv::FONT_HERSHEY_SIMPLEX, scale,
                cv::Scalar(rgb[2], rgb[1], rgb[0]), 1);
  }
  return blended;
}

cv::Mat heat_colours(const at::Tensor& map, double full_scale) {
  const auto levels = (map.to(torch::kFloat) / std::max(full_scale, 1e-12))
                          .clamp(0, 1)
                          .mul(255)
                          .round()
                          .to(torch::kUInt8)
                          .contiguous();
  const cv::Mat grey(static_cast<int>(levels.size(0)), static_cast<int>(levels.size(1)), CV_8U,
                     levels.data_ptr<uint8_t>());
  cv::Mat heat;
  cv::applyColorMap(grey, heat, cv::COLORMAP_JET);
  return heat;
}

cv::Mat blend_over(const cv::Mat& image, const cv::Mat& colours, double alpha) {
  cv::Mat base, blended;
  if (image.channels() == 1) {
    cv::cvtColor(image, base, cv::COLOR_GRAY2BGR);
  } else {
    base = image;
  }
  cv::addWeighted(base, 1 - alpha, colours, alpha, 0, blended);
  return blended;
}

cv::Mat heat_overlay(const cv::Mat& image, const at::Tensor& map, double full_scale, double alpha) {
  return blend_over(image, heat_colours(map, full_scale), alpha);
}

}  // namespace vedkit
