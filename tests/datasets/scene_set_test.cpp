#include "datasets/scenes/scene_set.h"

#include <gtest/gtest.h>
#include <torch/types.h>

#include <filesystem>
#include <fstream>
#include <opencv2/imgcodecs.hpp>
#include <set>

#include "core/error.h"
#include "tests/datasets/caption_reader.h"
#include "tests/datasets/fashion_mnist_items.h"
#include "tests/support/temp_dir.h"

namespace vedkit {
namespace {

using testing::TempDir;

std::vector<std::string> read_lines(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

std::string read_bytes(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

FashionMnist items_where(const FashionMnist& set, bool low_labels) {
  const auto keep = torch::nonzero(low_labels ? set.labels < 5 : set.labels >= 5).squeeze(1);
  return {set.images.index_select(0, keep), set.labels.index_select(0, keep)};
}

std::set<int> classes_in(const cv::Mat& mask) {
  std::set<int> classes;
  for (auto it = mask.begin<uint8_t>(); it != mask.end<uint8_t>(); ++it) {
    if (*it != 0) classes.insert(*it);
  }
  return classes;
}

TEST(SplitCounts, ValAndTestRoundTrainTakesTheRest) {
  const auto a = split_counts(1000, 0.1, 0.1);
  EXPECT_EQ(a.train, 800);
  EXPECT_EQ(a.val, 100);
  EXPECT_EQ(a.test, 100);
  const auto b = split_counts(36, 0.1, 0.1);
  EXPECT_EQ(b.train, 28);
  EXPECT_EQ(b.val, 4);
  EXPECT_EQ(b.test, 4);
  const auto c = split_counts(1, 0.1, 0.1);
  EXPECT_EQ(c.train, 1);
  EXPECT_EQ(c.val + c.test, 0);
}

TEST(WriteSceneSet, WritesImagesMasksCaptionsSplitsAndClasses) {
  // Garments 0-4 for train/val, 5-9 for test: the masks show which file each split drew from.
  const auto& items = testing::fashion_mnist_test_items();
  const auto train_items = items_where(items, true);
  const auto test_items = items_where(items, false);
  TempDir dir;
  SceneSetOptions options;
  options.out_dir = dir.file("set");
  options.count = 20;
  options.scene.size = 64;
  options.seed = 3;
  int calls = 0;
  const auto counts = write_scene_set(options, train_items, test_items, [&] { ++calls; });
  EXPECT_EQ(calls, 20);
  EXPECT_EQ(counts.train, 16);
  EXPECT_EQ(counts.val, 2);
  EXPECT_EQ(counts.test, 2);

  const std::filesystem::path out = options.out_dir;
  const auto classes = read_lines(out / "classes.txt");
  ASSERT_EQ(classes.size(), 11u);
  EXPECT_EQ(classes[0], "background");
  EXPECT_EQ(classes[1], "t-shirt");
  EXPECT_EQ(classes[10], "ankle boot");

  std::map<std::string, std::string> split_of;
  for (const std::string split : {"train", "val", "test"}) {
    const auto stems = read_lines(out / (split + ".txt"));
    EXPECT_EQ(stems.size(), split == "train" ? 16u : 2u) << split;
    for (const auto& stem : stems) {
      EXPECT_TRUE(split_of.emplace(stem, split).second) << stem << " is in two splits";
    }
  }
  EXPECT_EQ(split_of.size(), 20u);

  const auto captions = read_lines(out / "captions.tsv");
  ASSERT_EQ(captions.size(), 20u);
  for (const auto& line : captions) {
    SCOPED_TRACE(line);
    const auto tab = line.find('\t');
    ASSERT_NE(tab, std::string::npos);
    const auto image_path = line.substr(0, tab);
    ASSERT_EQ(image_path.substr(0, 7), "images/");
    const auto stem = image_path.substr(7, image_path.size() - 11);
    ASSERT_EQ(stem.size(), 6u);
    ASSERT_TRUE(split_of.count(stem));

    const auto image = cv::imread((out / image_path).string(), cv::IMREAD_UNCHANGED);
    const auto mask = cv::imread((out / "masks" / (stem + ".png")).string(), cv::IMREAD_UNCHANGED);
    ASSERT_EQ(image.type(), CV_8UC3);
    ASSERT_EQ(image.size(), cv::Size(64, 64));
    ASSERT_EQ(mask.type(), CV_8UC1);
    ASSERT_EQ(mask.size(), cv::Size(64, 64));

    std::set<int> named;
    for (int64_t label : testing::labels_named_in(line.substr(tab + 1))) {
      ASSERT_GE(label, 0) << "caption names an unknown class";
      named.insert(static_cast<int>(label) + 1);
    }
    EXPECT_EQ(classes_in(mask), named);
    for (int value : named) {
      if (split_of[stem] == "test") {
        EXPECT_GE(value, 6) << "a test scene drew from the train items";
      } else {
        EXPECT_LE(value, 5) << "a train/val scene drew from the test items";
      }
    }
  }
}

TEST(WriteSceneSet, SameSeedWritesTheSameFiles) {
  const auto& items = testing::fashion_mnist_test_items();
  TempDir dir;
  SceneSetOptions options;
  options.count = 6;
  options.scene.size = 64;
  options.out_dir = dir.file("a");
  write_scene_set(options, items, items);
  options.out_dir = dir.file("b");
  write_scene_set(options, items, items);
  EXPECT_EQ(read_bytes(dir.path() / "a/captions.tsv"), read_bytes(dir.path() / "b/captions.tsv"));
  for (const std::string file : {"images/000005.png", "masks/000005.png", "images/000000.png"}) {
    const auto a = read_bytes(dir.path() / "a" / file);
    EXPECT_FALSE(a.empty());
    EXPECT_EQ(a, read_bytes(dir.path() / "b" / file)) << file;
  }
}

TEST(WriteSceneSet, BadOptionsAndUnwritableFolderAreErrors) {
  SceneSetOptions options;
  options.out_dir = "unused";
  options.count = 0;
  EXPECT_THROW(check_scene_set_options(options), DataError);
  options.count = 10;
  options.val_fraction = 0.6;
  options.test_fraction = 0.6;
  EXPECT_THROW(check_scene_set_options(options), DataError);

  TempDir dir;
  options = SceneSetOptions{};
  options.count = 1;
  options.out_dir = dir.write("a-file", "x") + "/set";
  const auto& items = testing::fashion_mnist_test_items();
  try {
    write_scene_set(options, items, items);
    FAIL() << "no error";
  } catch (const DataError& e) {
    EXPECT_NE(std::string(e.what()).find("cannot create folder '" + options.out_dir),
              std::string::npos)
        << e.what();
  }
}

}  // namespace
}  // namespace vedkit
