#include "datasets/scenes/caption.h"

#include <gtest/gtest.h>

namespace vedkit {
namespace {

// Labels: 0 t-shirt, 1 trouser, 2 pullover, 3 dress, 4 coat, 5 sandal, 6 shirt, 7 sneaker,
// 8 bag, 9 ankle boot.
SceneItem item(int64_t label, int x, int y, int width = 20, int height = 20) {
  return {label, cv::Rect(x, y, width, height)};
}

TEST(SceneCaption, LoneItem) {
  EXPECT_EQ(scene_caption({item(7, 10, 10)}), "a sneaker");
  EXPECT_EQ(scene_caption({item(9, 10, 10)}), "an ankle boot");
  EXPECT_EQ(scene_caption({}), "");
}

TEST(SceneCaption, PairUsesTheDominantAxis) {
  EXPECT_EQ(scene_caption({item(7, 5, 50), item(8, 80, 40)}), "a sneaker to the left of a bag");
  EXPECT_EQ(scene_caption({item(8, 80, 40), item(7, 5, 50)}), "a bag to the right of a sneaker");
  EXPECT_EQ(scene_caption({item(4, 40, 0), item(3, 50, 90)}), "a coat above a dress");
  EXPECT_EQ(scene_caption({item(1, 60, 90), item(2, 40, 10)}), "a trouser below a pullover");
  EXPECT_EQ(scene_caption({item(9, 0, 0), item(0, 70, 10)}),
            "an ankle boot to the left of a t-shirt");
}

TEST(SceneCaption, RelationComparesCentresNotCorners) {
  // a's corner is left of b's, but a is wide: its centre (x 60) is right of b's (x 45).
  EXPECT_EQ(spatial_relation(cv::Rect(20, 0, 80, 10), cv::Rect(40, 0, 10, 10)), "to the right of");
  // Tall b: centres differ more vertically (dy 40) than horizontally (dx 30).
  EXPECT_EQ(spatial_relation(cv::Rect(0, 0, 10, 10), cv::Rect(30, 0, 10, 90)), "above");
}

TEST(SceneCaption, OddItemStandsAloneAfterThePairs) {
  EXPECT_EQ(scene_caption({item(4, 40, 0), item(3, 50, 90), item(5, 0, 40)}),
            "a coat above a dress and a sandal");
  EXPECT_EQ(scene_caption({item(8, 90, 10), item(6, 10, 20), item(1, 40, 100), item(2, 45, 5)}),
            "a bag to the right of a shirt and a trouser below a pullover");
}

TEST(WithArticle, AnBeforeVowels) {
  EXPECT_EQ(with_article("ankle boot"), "an ankle boot");
  EXPECT_EQ(with_article("umbrella"), "an umbrella");
  EXPECT_EQ(with_article("t-shirt"), "a t-shirt");
}

}  // namespace
}  // namespace vedkit
