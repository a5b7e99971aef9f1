#pragma once

#include <cstdint>
#include <opencv2/core/mat.hpp>
#include <string>
#include <vector>

#include "datasets/fashion_mnist.h"
#include "datasets/scenes/scene_item.h"

namespace vedkit {

inline constexpr int kMinSceneSize = 64;
// A pixel belongs to an item in the mask where the item's alpha exceeds this.
inline constexpr double kMaskAlpha = 0.35;

struct SceneOptions {
  int size = 128;     // canvas side in pixels, at least kMinSceneSize
  int max_items = 4;  // each scene holds 1..max_items items
};

struct Scene {
  cv::Mat image;                 // [size, size] 8-bit BGR
  cv::Mat mask;                  // [size, size] 8-bit: 0 background, label + 1 on an item
  std::vector<SceneItem> items;  // in placement order, which is the caption's order
  std::string caption;
};

// Throws DataError naming the option when one is out of range.
void check_scene_options(const SceneOptions& options);

// Places 1..max_items items from pool at random positions and scales (20-45% of the side,
// shrunk when needed so no two boxes overlap), each tinted with a colour that contrasts with
// the background under it, its Fashion-MNIST intensity as alpha (scaled to a peak of 1, with a
// little gain so dark garments stay opaque); then adds pixel noise. The same seed gives the same
// scene.
Scene compose_scene(const SceneOptions& options, const FashionMnist& pool, uint64_t seed);

}  // namespace vedkit
