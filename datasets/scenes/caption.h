#pragma once

#include <opencv2/core/types.hpp>
#include <string>
#include <vector>

#include "datasets/scenes/scene_item.h"

namespace vedkit {

// Where a lies from b: "to the left of", "to the right of", "above" or "below", along the axis
// on which their centres are further apart (the horizontal one on a tie).
std::string spatial_relation(const cv::Rect& a, const cv::Rect& b);

// "a sneaker", "an ankle boot".
std::string with_article(const std::string& noun);

// Names every item with the Fashion-MNIST class names, pairing them in order: the first with
// the second, the third with the fourth; an odd last item stands alone. "a sneaker to the left
// of a bag", "a coat above a dress and a sandal". Empty for no items.
std::string scene_caption(const std::vector<SceneItem>& items);

}  // namespace vedkit
