#include "datasets/scenes/caption_facts.h"

#include <gtest/gtest.h>

#include "datasets/scenes/caption.h"

namespace vedkit {
namespace {

TEST(SceneCaptionFacts, EitherOrderStatesTheSameFacts) {
  const auto right = parse_scene_caption("a bag to the right of a sneaker");
  const auto left = parse_scene_caption("A sneaker to the left of a bag.");
  ASSERT_TRUE(right && left);
  EXPECT_EQ(*right, *left);
  EXPECT_EQ(right->relations, (std::vector<std::string>{"sneaker | to the left of | bag"}));
  const auto below = parse_scene_caption("a coat below a dress and an ankle boot");
  ASSERT_TRUE(below);
  EXPECT_EQ(below->items, (std::vector<std::string>{"ankle boot", "coat", "dress"}));
  EXPECT_EQ(below->relations, (std::vector<std::string>{"dress | above | coat"}));
  EXPECT_FALSE(*parse_scene_caption("a coat above a dress") == *parse_scene_caption("a dress above a coat"));
}

TEST(SceneCaptionFacts, ReadsWhatTheGeneratorWrites) {
  const std::vector<SceneItem> items = {
      {7, {0, 0, 28, 28}}, {8, {60, 4, 28, 28}}, {0, {10, 40, 28, 28}}, {1, {12, 90, 28, 28}}, {9, {80, 80, 28, 28}}};
  const auto caption = scene_caption(items);
  const auto facts = parse_scene_caption(caption);
  ASSERT_TRUE(facts) << caption;
  EXPECT_EQ(facts->items.size(), 5u);
  EXPECT_EQ(facts->relations.size(), 2u);
}

TEST(SceneCaptionFacts, RejectsOtherSentences) {
  for (const std::string caption : {"", "a hat", "bag to the left of a coat", "a bag near a coat",
                                    "a bag to the left of", "a bag a coat", "a bag and"}) {
    EXPECT_FALSE(parse_scene_caption(caption)) << caption;
  }
}

TEST(SceneCaptionAgreement, CountsSceneByScene) {
  const std::vector<std::string> references = {
      "a bag to the right of a sneaker", "a coat above a dress", "a shirt", "a sandal below a trouser"};
  const std::vector<std::string> captions = {
      "a sneaker to the left of a bag",  // same facts, other words
      "a coat below a dress",            // same items, wrong relation
      "a shirt",                         // exact
      "a sandal"};                       // one item short
  const auto agreement = compare_scene_captions(captions, references);
  ASSERT_TRUE(agreement);
  EXPECT_EQ(agreement->scenes, 4);
  EXPECT_EQ(agreement->exact, 1);
  EXPECT_EQ(agreement->item_count, 3);
  EXPECT_EQ(agreement->items, 3);
  EXPECT_EQ(agreement->facts, 2);
  EXPECT_EQ(format_scene_caption_agreement(*agreement),
            "scenes: 4; exact 25.0%, item count 75.0%, items 75.0%, items and relations 50.0%");
  EXPECT_FALSE(compare_scene_captions(captions, {"a cat on a mat", "a shirt", "a shirt", "a shirt"}));
}

}  // namespace
}  // namespace vedkit
