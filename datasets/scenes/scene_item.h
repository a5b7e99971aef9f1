#pragma once

#include <cstdint>
#include <opencv2/core/types.hpp>

namespace vedkit {

// One Fashion-MNIST item in a scene: its label (0..9) and the tight box of its pixels.
struct SceneItem {
  int64_t label = 0;
  cv::Rect box;
};

}  // namespace vedkit
