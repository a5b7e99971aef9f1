#include "datasets/scenes/background.h"

#include <algorithm>
#include <cmath>
#include <opencv2/imgproc.hpp>

namespace vedkit {
namespace {

uint8_t to_byte(double value) { return static_cast<uint8_t>(std::clamp(value, 0.0, 255.0) + 0.5); }

cv::Vec3d random_colour(SplitMix64& rng) {
  return {rng.uniform(0, 255), rng.uniform(0, 255), rng.uniform(0, 255)};
}

// A second colour near the first, so a gradient never spans black to white and an item's
// colour can contrast with all of the background it covers.
cv::Vec3d nearby_colour(const cv::Vec3d& colour, double reach, SplitMix64& rng) {
  cv::Vec3d other;
  for (int c = 0; c < 3; ++c)
    other[c] = std::clamp(colour[c] + rng.uniform(-reach, reach), 0.0, 255.0);
  return other;
}

cv::Mat solid(int size, SplitMix64& rng) {
  const auto colour = random_colour(rng);
  return cv::Mat(size, size, CV_8UC3,
                 cv::Scalar(to_byte(colour[0]), to_byte(colour[1]), to_byte(colour[2])));
}

cv::Mat gradient(int size, SplitMix64& rng) {
  const auto from = random_colour(rng);
  const auto to = nearby_colour(from, 110, rng);
  // A random direction; t runs from 0 to 1 across the canvas along it.
  double dx = rng.uniform(-1, 1);
  double dy = rng.uniform(-1, 1);
  const double norm = std::sqrt(dx * dx + dy * dy) + 1e-9;
  dx /= norm;
  dy /= norm;
  const double half = 0.5 * (size - 1);
  const double reach = half * (std::abs(dx) + std::abs(dy)) + 1e-9;
  cv::Mat image(size, size, CV_8UC3);
  for (int y = 0; y < size; ++y) {
    auto* row = image.ptr<cv::Vec3b>(y);
    for (int x = 0; x < size; ++x) {
      const double t = 0.5 + 0.5 * ((x - half) * dx + (y - half) * dy) / reach;
      for (int c = 0; c < 3; ++c) row[x][c] = to_byte(from[c] + (to[c] - from[c]) * t);
    }
  }
  return image;
}

// Coarse colour blobs plus fine grain around a base colour, blurred.
cv::Mat texture(int size, SplitMix64& rng) {
  const auto base = random_colour(rng);
  const int cells = 3 + static_cast<int>(rng.below(8));
  cv::Mat coarse(cells, cells, CV_8UC3);
  for (int y = 0; y < cells; ++y) {
    for (int x = 0; x < cells; ++x) {
      const auto colour = nearby_colour(base, 60, rng);
      coarse.at<cv::Vec3b>(y, x) = {to_byte(colour[0]), to_byte(colour[1]), to_byte(colour[2])};
    }
  }
  cv::Mat image;
  cv::resize(coarse, image, {size, size}, 0, 0, cv::INTER_LINEAR_EXACT);
  const double grain = rng.uniform(5, 20);
  add_pixel_noise(image, grain, rng);
  // 8-bit Gaussian blur is bit-exact in OpenCV 4, so the texture is the same on every CPU.
  const double sigma = rng.uniform(1.0, 2.5);
  cv::GaussianBlur(image, image, {0, 0}, sigma, sigma, cv::BORDER_REFLECT_101);
  return image;
}

}  // namespace

cv::Mat draw_background(BackgroundKind kind, int size, SplitMix64& rng) {
  switch (kind) {
    case BackgroundKind::solid:
      return solid(size, rng);
    case BackgroundKind::gradient:
      return gradient(size, rng);
    case BackgroundKind::texture:
      return texture(size, rng);
  }
  return solid(size, rng);
}

cv::Mat draw_random_background(int size, SplitMix64& rng) {
  static const BackgroundKind kinds[] = {BackgroundKind::solid, BackgroundKind::gradient,
                                         BackgroundKind::texture};
  return draw_background(kinds[rng.below(3)], size, rng);
}

void add_pixel_noise(cv::Mat& image, double sigma, SplitMix64& rng) {
  CV_Assert(image.type() == CV_8UC3);
  for (int y = 0; y < image.rows; ++y) {
    auto* row = image.ptr<cv::Vec3b>(y);
    for (int x = 0; x < image.cols; ++x) {
      for (int c = 0; c < 3; ++c) row[x][c] = to_byte(row[x][c] + sigma * rng.normal());
    }
  }
}

}  // namespace vedkit
