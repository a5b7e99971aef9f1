#include "vision/metrics/confusion_matrix.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>

namespace vedkit {
namespace {

// truth:      prediction:
// 0 0 1 1     0 1 1 1
// 0 0 1 1     0 0 1 2
// 2 2 255 1   2 0 0 1
TEST(ConfusionMatrix, ScoresMatchHandComputedValues) {
  const auto truth = torch::tensor({0, 0, 1, 1, 0, 0, 1, 1, 2, 2, 255, 1}).reshape({3, 4});
  const auto predicted = torch::tensor({0, 1, 1, 1, 0, 0, 1, 2, 2, 0, 0, 1}).reshape({3, 4});
  ConfusionMatrix confusion(4);
  confusion.add(predicted, truth);
  // rows = truth: class 0: 3 right, 1 as class 1; class 1: 4 right, 1 as 2; class 2: 1 right, 1 as 0.
  EXPECT_TRUE(torch::equal(confusion.counts(),
                           torch::tensor({3, 1, 0, 0, 0, 4, 1, 0, 1, 0, 1, 0, 0, 0, 0, 0})
                               .reshape({4, 4})));
  const auto scores = confusion.scores();
  EXPECT_NEAR(scores.iou[0], 3.0 / (4 + 4 - 3), 1e-12);  // tp 3, truth 4, predicted 4
  EXPECT_NEAR(scores.iou[1], 4.0 / (5 + 5 - 4), 1e-12);
  EXPECT_NEAR(scores.iou[2], 1.0 / (2 + 2 - 1), 1e-12);
  EXPECT_TRUE(std::isnan(scores.iou[3])) << "a class in neither is left out";
  EXPECT_NEAR(scores.mean_iou, (3.0 / 5 + 4.0 / 6 + 1.0 / 3) / 3, 1e-12);
  EXPECT_NEAR(scores.dice[1], 2 * 4.0 / 10, 1e-12);
  EXPECT_NEAR(scores.pixel_accuracy, 8.0 / 11, 1e-12);
  EXPECT_NEAR(scores.mean_accuracy, (3.0 / 4 + 4.0 / 5 + 1.0 / 2) / 3, 1e-12);
}

TEST(ConfusionMatrix, SumsOverImagesNotPerImage) {
  ConfusionMatrix confusion(2);
  confusion.add(torch::tensor({1, 1}), torch::tensor({1, 1}));        // IoU(1) = 1 on its own
  confusion.add(torch::tensor({0, 0, 0, 1}), torch::tensor({1, 1, 1, 1}));  // 1/4 on its own
  EXPECT_NEAR(confusion.scores().iou[1], 3.0 / 6, 1e-12);
}

TEST(ConfusionMatrix, FormatsTableAndJson) {
  ConfusionMatrix confusion(2);
  confusion.add(torch::tensor({0, 1}), torch::tensor({0, 1}));
  const auto scores = confusion.scores();
  const auto table = format_scores_table(scores, {"background", "bag"});
  EXPECT_NE(table.find("bag"), std::string::npos);
  EXPECT_NE(table.find("mIoU 100"), std::string::npos) << table;
  const auto json = format_scores_json(scores, {"background", "bag"});
  EXPECT_NE(json.find("\"mIoU\": 1.000000"), std::string::npos) << json;
}

}  // namespace
}  // namespace vedkit
