#include "datasets/scenes/scene.h"

#include <torch/types.h>

#include <algorithm>
#include <cmath>
#include <opencv2/imgproc.hpp>
#include <optional>

#include "core/error.h"
#include "datasets/scenes/background.h"
#include "datasets/scenes/caption.h"
#include "datasets/scenes/splitmix64.h"

namespace vedkit {
namespace {

constexpr int kMaxItemsLimit = 8;
// An item's longest side, as a fraction of the canvas side.
constexpr double kSmallestSide = 0.20;
constexpr double kLargestSide = 0.45;
// When no free spot is found, the item shrinks by kShrink down to kGiveUpSide, then is dropped.
constexpr double kShrink = 0.85;
constexpr double kGiveUpSide = 0.12;
constexpr int kTriesPerSide = 24;
constexpr int kGap = 2;  // pixels kept free between two items' boxes
// Least luminance difference between an item's colour and the mean background under it.
constexpr double kMinContrast = 90;
// Alpha is the item's intensity over its peak, times this gain (capped at 1): dark garments in
// Fashion-MNIST peak at mid grey inside, and would otherwise show the background through.
constexpr double kAlphaGain = 1.3;

double luminance(const cv::Vec3d& bgr) { return 0.114 * bgr[0] + 0.587 * bgr[1] + 0.299 * bgr[2]; }

// The item's visible pixels cropped to their box; empty when the image is blank.
cv::Mat crop_item(const at::Tensor& image) {
  cv::Mat full(28, 28, CV_8UC1, image.data_ptr<uint8_t>());
  double peak = 0;
  cv::minMaxLoc(full, nullptr, &peak);
  if (peak == 0) return {};
  return full(cv::boundingRect(full > 0.1 * peak)).clone();
}

bool is_free(const cv::Rect& box, const std::vector<SceneItem>& placed) {
  for (const auto& item : placed) {
    const cv::Rect keep_out(item.box.x - kGap, item.box.y - kGap, item.box.width + 2 * kGap,
                            item.box.height + 2 * kGap);
    if ((box & keep_out).area() > 0) return false;
  }
  return true;
}

std::optional<cv::Rect> find_free_box(cv::Size crop, int size, const std::vector<SceneItem>& placed,
                                      SplitMix64& rng) {
  const int longest = std::max(crop.width, crop.height);
  for (double side = rng.uniform(kSmallestSide, kLargestSide) * size; side >= kGiveUpSide * size;
       side *= kShrink) {
    const double scale = side / longest;
    const int width = std::max(1, static_cast<int>(crop.width * scale + 0.5));
    const int height = std::max(1, static_cast<int>(crop.height * scale + 0.5));
    for (int attempt = 0; attempt < kTriesPerSide; ++attempt) {
      // Drawn in two statements: the order of a call's arguments is up to the compiler (GCC
      // drew y first, clang x), and a seed must give the same scenes whatever built vedkit.
      const int y = static_cast<int>(rng.below(size - height + 1));
      const int x = static_cast<int>(rng.below(size - width + 1));
      const cv::Rect box(x, y, width, height);
      if (is_free(box, placed)) return box;
    }
  }
  return std::nullopt;
}

cv::Vec3d contrasting_colour(const cv::Mat& background, SplitMix64& rng) {
  const cv::Scalar mean = cv::mean(background);
  const double under = luminance({mean[0], mean[1], mean[2]});
  cv::Vec3d colour;
  for (int attempt = 0; attempt < 32; ++attempt) {
    colour = {rng.uniform(0, 255), rng.uniform(0, 255), rng.uniform(0, 255)};
    if (std::abs(luminance(colour) - under) >= kMinContrast) return colour;
  }
  // Rare: keep the hue of the last draw, pushed to the dark or bright end.
  for (int c = 0; c < 3; ++c) colour[c] = under > 127.5 ? 0.25 * colour[c] : 255 - 0.25 * colour[c];
  return colour;
}

// Blends colour into image over box with the sprite as alpha, and marks class_id in mask where
// alpha > kMaskAlpha.
void paint_item(const cv::Mat& sprite, const cv::Rect& box, const cv::Vec3d& colour,
                uint8_t class_id, cv::Mat& image, cv::Mat& mask) {
  double peak = 0;
  cv::minMaxLoc(sprite, nullptr, &peak);
  for (int y = 0; y < box.height; ++y) {
    const auto* alpha_row = sprite.ptr<uint8_t>(y);
    auto* pixel_row = image.ptr<cv::Vec3b>(box.y + y) + box.x;
    auto* mask_row = mask.ptr<uint8_t>(box.y + y) + box.x;
    for (int x = 0; x < box.width; ++x) {
      const double alpha = std::min(1.0, kAlphaGain * alpha_row[x] / peak);
      for (int c = 0; c < 3; ++c) {
        const double value = pixel_row[x][c] * (1 - alpha) + colour[c] * alpha;
        pixel_row[x][c] = static_cast<uint8_t>(std::clamp(value, 0.0, 255.0) + 0.5);
      }
      if (alpha > kMaskAlpha) mask_row[x] = class_id;
    }
  }
}

void check_pool(const FashionMnist& pool) {
  const auto& images = pool.images;
  if (!images.defined() || images.dim() != 3 || images.size(1) != 28 || images.size(2) != 28 ||
      images.scalar_type() != torch::kUInt8 || images.size(0) == 0) {
    throw DataError("the scene item pool must be a non-empty uint8 tensor [N, 28, 28]");
  }
  if (!pool.labels.defined() || pool.labels.numel() != images.size(0)) {
    throw DataError("the scene item pool needs one label per image");
  }
}

}  // namespace

void check_scene_options(const SceneOptions& options) {
  if (options.size < kMinSceneSize) {
    throw DataError("scene size " + std::to_string(options.size) + " is too small; use " +
                    std::to_string(kMinSceneSize) + " pixels or more");
  }
  if (options.max_items < 1 || options.max_items > kMaxItemsLimit) {
    throw DataError("max items " + std::to_string(options.max_items) +
                    " is out of range; use 1 to " + std::to_string(kMaxItemsLimit));
  }
}

Scene compose_scene(const SceneOptions& options, const FashionMnist& pool, uint64_t seed) {
  check_scene_options(options);
  check_pool(pool);
  const auto images = pool.images.contiguous();
  const auto labels = pool.labels.to(torch::kInt64).contiguous();
  const int64_t* label_data = labels.data_ptr<int64_t>();

  SplitMix64 rng(seed);
  Scene scene;
  scene.image = draw_random_background(options.size, rng);
  scene.mask = cv::Mat::zeros(options.size, options.size, CV_8UC1);
  const int wanted = 1 + static_cast<int>(rng.below(options.max_items));
  for (int i = 0; i < wanted; ++i) {
    const int64_t index = rng.below(images.size(0));
    const cv::Mat crop = crop_item(images[index]);
    if (crop.empty()) continue;
    const auto box = find_free_box(crop.size(), options.size, scene.items, rng);
    if (!box) continue;
    cv::Mat sprite;
    cv::resize(crop, sprite, box->size(), 0, 0, cv::INTER_LINEAR_EXACT);
    if (cv::countNonZero(sprite) == 0) continue;
    const auto colour = contrasting_colour(scene.image(*box), rng);
    const int64_t label = label_data[index];
    paint_item(sprite, *box, colour, static_cast<uint8_t>(label + 1), scene.image, scene.mask);
    scene.items.push_back({label, *box});
  }
  add_pixel_noise(scene.image, rng.uniform(1.5, 4.0), rng);
  scene.caption = scene_caption(scene.items);
  return scene;
}

}  // namespace vedkit
