#include "datasets/scenes/caption.h"

#include <cstdlib>

#include "datasets/fashion_mnist.h"

namespace vedkit {

std::string spatial_relation(const cv::Rect& a, const cv::Rect& b) {
  // Twice the centre offset, to stay in integers.
  const int dx = (2 * a.x + a.width) - (2 * b.x + b.width);
  const int dy = (2 * a.y + a.height) - (2 * b.y + b.height);
  if (std::abs(dx) >= std::abs(dy)) return dx < 0 ? "to the left of" : "to the right of";
  return dy < 0 ? "above" : "below";
}

std::string with_article(const std::string& noun) {
  const bool vowel = !noun.empty() && std::string("aeiou").find(noun[0]) != std::string::npos;
  return (vowel ? "an " : "a ") + noun;
}

std::string scene_caption(const std::vector<SceneItem>& items) {
  const auto& names = fashion_mnist_classes();
  std::string caption;
  for (size_t i = 0; i < items.size(); i += 2) {
    if (!caption.empty()) caption += " and ";
    caption += with_article(names.at(items[i].label));
    if (i + 1 < items.size()) {
      caption += " " + spatial_relation(items[i].box, items[i + 1].box) + " " +
                 with_article(names.at(items[i + 1].label));
    }
  }
  return caption;
}

}  // namespace vedkit
