#include "vision/io/image_io.h"

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <torch/torch.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <utility>
#include <vector>

#include "core/error.h"
#include "vision/io/image_bytes.h"

namespace vedkit {

uint64_t max_image_pixels() {
  // OpenCV's own limit and variable, so both refuse the same images.
  const char* set = std::getenv("CV_IO_MAX_IMAGE_PIXELS");
  if (set != nullptr) {
    char* end = nullptr;
    const auto value = std::strtoull(set, &end, 10);
    if (end != set && *end == '\0' && value > 0) return value;
  }
  return uint64_t{1} << 30;
}

cv::Mat read_image_unchanged(const std::string& path) {
  if (!std::filesystem::is_regular_file(path)) {
    throw DataError(path + ": no such image file");
  }
  std::ifstream in(path, std::ios::binary);
  const std::vector<unsigned char> bytes((std::istreambuf_iterator<char>(in)),
                                         std::istreambuf_iterator<char>());
  const auto [width, height] = header_size(bytes);
  if (width * height > max_image_pixels()) {
    throw DataError(path + ": " + std::to_string(width) + "x" + std::to_string(height) +
                    " pixels, over the limit of " + std::to_string(max_image_pixels()) +
                    "; set CV_IO_MAX_IMAGE_PIXELS to allow more");
  }
  if (const auto problem = image_damage(bytes); !problem.empty()) {
    throw DataError(path + ": " + problem);
  }
  cv::Mat image;
  try {
    image = cv::imdecode(bytes, cv::IMREAD_UNCHANGED);
  } catch (const cv::Exception& e) {
    throw DataError(path + ": cannot decode: " + e.err);
  }
  if (image.empty()) {
    throw DataError(path + ": cannot decode as an image (corrupt, or not an image format "
                           "OpenCV reads)");
  }
  return image;
}

namespace {

// 8-bit BGR, or 8-bit grey, from any depth and channel count.
cv::Mat to_8bit(const cv::Mat& image) {
  cv::Mat out = image;
  if (image.depth() == CV_16U) {
    image.convertTo(out, CV_8U, 1.0 / 257.0);
  } else if (image.depth() == CV_32F || image.depth() == CV_64F) {
    image.convertTo(out, CV_8U, 255.0);
  } else if (image.depth() != CV_8U) {
    image.convertTo(out, CV_8U);
  }
  if (out.channels() == 4) cv::cvtColor(out, out, cv::COLOR_BGRA2BGR);
  if (out.channels() == 2) cv::extractChannel(out, out, 0);
  return out;
}

}  // namespace

cv::Mat to_bgr8(const cv::Mat& image) {
  cv::Mat out = to_8bit(image);
  if (out.channels() == 1) cv::cvtColor(out, out, cv::COLOR_GRAY2BGR);
  return out;
}

at::Tensor image_to_tensor(const cv::Mat& image, int64_t channels) {
  cv::Mat converted = to_8bit(image);
  if (channels == 1 && converted.channels() == 3) {
    cv::cvtColor(converted, converted, cv::COLOR_BGR2GRAY);
  } else if (channels == 3 && converted.channels() == 1) {
    cv::cvtColor(converted, converted, cv::COLOR_GRAY2RGB);
  } else if (channels == 3) {
    cv::cvtColor(converted, converted, cv::COLOR_BGR2RGB);
  } else if (channels != 1) {
    throw DataError("images have 1 or 3 channels here; " + std::to_string(channels) +
                    " were asked for");
  }
  if (!converted.isContinuous()) converted = converted.clone();
  const auto hwc = torch::from_blob(converted.data, {converted.rows, converted.cols, channels},
                                    torch::kUInt8);
  return hwc.permute({2, 0, 1}).to(torch::kFloat).div_(255).contiguous();
}

cv::Mat tensor_to_image(const at::Tensor& chw) {
  const auto hwc = (chw.detach().to(torch::kCPU, torch::kFloat).clamp(0, 1) * 255)
                       .round()
                       .to(torch::kUInt8)
                       .permute({1, 2, 0})
                       .contiguous();
  const int channels = static_cast<int>(hwc.size(2));
  cv::Mat image(static_cast<int>(hwc.size(0)), static_cast<int>(hwc.size(1)),
                CV_8UC(channels), hwc.data_ptr<uint8_t>());
  cv::Mat out = image.clone();
  if (channels == 3) cv::cvtColor(out, out, cv::COLOR_RGB2BGR);
  return out;
}

at::Tensor read_image(const std::string& path, int64_t channels) {
  try {
    return image_to_tensor(read_image_unchanged(path), channels);
  } catch (const DataError& e) {
    const std::string message = e.what();
    if (message.rfind(path, 0) == 0) throw;
    throw DataError(path + ": " + message);
  }
}

cv::Mat resize_covering(const cv::Mat& image, int64_t height, int64_t width) {
  const double scale = std::max(static_cast<double>(height) / image.rows,
                                static_cast<double>(width) / image.cols);
  const int rows = std::max<int>(height, static_cast<int>(std::lround(image.rows * scale)));
  const int cols = std::max<int>(width, static_cast<int>(std::lround(image.cols * scale)));
  cv::Mat scaled = image;
  if (rows != image.rows || cols != image.cols) {
    cv::resize(image, scaled, cv::Size(cols, rows), 0, 0,
               scale < 1 ? cv::INTER_AREA : cv::INTER_LINEAR);
  }
  const cv::Rect centre((cols - static_cast<int>(width)) / 2, (rows - static_cast<int>(height)) / 2,
                        static_cast<int>(width), static_cast<int>(height));
  return scaled(centre).clone();
}

cv::Rect covering_region(cv::Size size, int64_t height, int64_t width) {
  const double scale = std::max(static_cast<double>(height) / size.height,
                                static_cast<double>(width) / size.width);
  const int rows = std::min<int>(size.height, static_cast<int>(std::lround(height / scale)));
  const int cols = std::min<int>(size.width, static_cast<int>(std::lround(width / scale)));
  return cv::Rect((size.width - cols) / 2, (size.height - rows) / 2, cols, rows);
}

at::Tensor read_image_covering(const std::string& path, int64_t channels, int64_t height,
                               int64_t width) {
  const auto image = tensor_to_image(read_image(path, channels));
  return image_to_tensor(resize_covering(image, height, width), channels);
}

at::Tensor read_mask(const std::string& path) {
  const cv::Mat mask = read_image_unchanged(path);
  if (mask.channels() != 1) {
    throw DataError(path + ": a colour mask; give single-channel class-index PNGs, or map "
                           "colours to classes with data.palette");
  }
  cv::Mat as_int;
  mask.convertTo(as_int, CV_32S);
  return torch::from_blob(as_int.data, {mask.rows, mask.cols}, torch::kInt).to(torch::kLong);
}

at::Tensor read_colour_mask(const std::string& path,
                            const std::vector<std::array<uint8_t, 3>>& palette,
                            int64_t ignore_index) {
  cv::Mat mask = to_8bit(read_image_unchanged(path));
  if (mask.channels() == 1) cv::cvtColor(mask, mask, cv::COLOR_GRAY2BGR);
  auto classes = torch::full({mask.rows, mask.cols}, ignore_index, torch::kLong);
  auto out = classes.accessor<int64_t, 2>();
  for (int y = 0; y < mask.rows; ++y) {
    const auto* row = mask.ptr<cv::Vec3b>(y);
    for (int x = 0; x < mask.cols; ++x) {
      for (size_t k = 0; k < palette.size(); ++k) {
        // palette is RGB; OpenCV pixels are BGR.
        if (row[x][2] == palette[k][0] && row[x][1] == palette[k][1] && row[x][0] == palette[k][2]) {
          out[y][x] = static_cast<int64_t>(k);
          break;
        }
      }
    }
  }
  return classes;
}

void write_png(const std::string& path, const cv::Mat& image) {
  const std::filesystem::path target(path);
  if (target.has_parent_path()) std::filesystem::create_directories(target.parent_path());
  if (!cv::imwrite(path, image)) throw DataError(path + ": cannot write the PNG");
}

}  // namespace vedkit
