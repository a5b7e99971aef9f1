#include "apps/train_segmentation.h"

#include <gtest/gtest.h>


#include "core/error.h"
#include "tests/support/metrics_column.h"
#include "tests/support/temp_dir.h"
#include "vision/segmentation/segmentation_model.h"

namespace vedkit {
namespace {

using testing::TempDir;

std::string tiny_run(const std::string& out_dir) {
  return std::string("task: segmentation\n"
                     "model:\n  encoder: {type: resnet, depth: 18, width: 8}\n"
                     "  decoder: {channels: [32, 16, 16, 8, 8], num_classes: 11}\n"
                     "data:\n  root: ") + VEDKIT_SOURCE_DIR + "/datasets/samples\n"
         "  batch_size: 4\n  workers: 1\n  augment: {crop: 64}\n"
         "train:\n  lr: 0.01\n  epochs: 4\n  warmup_epochs: 0\n  preview: false\n  out_dir: " + out_dir + "\n"
         "runtime: {seed: 3}\n";
}

TEST(TrainSegmentation, ATinyRunLowersTheLossAndSavesALoadableModel) {
  TempDir dir;
  auto config = Config::from_text(tiny_run(dir.file("run")), "tiny.yaml");
  TrainArgs args;
  args.quiet = true;
  ASSERT_EQ(train_segmentation(config, args), 0);
  const auto losses = testing::metrics_column(dir.file("run/metrics.csv"), "train_loss");
  ASSERT_EQ(losses.size(), 4u);
  EXPECT_LT(losses.back(), losses.front() * 0.8);
  const auto loaded = load_segmentation_model(dir.file("run/last.vdk"));
  EXPECT_EQ(loaded.class_names.size(), 11u);
  EXPECT_EQ(loaded.class_names[8], "sneaker");
}

TEST(TrainSegmentation, SameConfigAndSeedGiveTheSameNumbers) {
  TempDir dir;
  std::vector<std::vector<double>> runs;
  for (const auto* name : {"a", "b"}) {
    auto config = Config::from_text(tiny_run(dir.file(name)), "tiny.yaml", {"train.epochs=2"});
    TrainArgs args;
    args.quiet = true;
    ASSERT_EQ(train_segmentation(config, args), 0);
    runs.push_back(testing::metrics_column(dir.file(std::string(name) + "/metrics.csv"), "train_loss"));
    const auto val = testing::metrics_column(dir.file(std::string(name) + "/metrics.csv"), "val_loss");
    runs.back().insert(runs.back().end(), val.begin(), val.end());
  }
  EXPECT_EQ(runs[0], runs[1]);
}

TEST(TrainSegmentation, UnknownKeyStopsBeforeTraining) {
  TempDir dir;
  auto config = Config::from_text(tiny_run(dir.file("run")), "tiny.yaml", {"train.epohcs=3"});
  EXPECT_THROW(train_segmentation(config, TrainArgs{}), ConfigError);
  EXPECT_FALSE(std::filesystem::exists(dir.file("run")));
}

}  // namespace
}  // namespace vedkit
