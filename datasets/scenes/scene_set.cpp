#include "datasets/scenes/scene_set.h"

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <opencv2/imgcodecs.hpp>
#include <vector>

#include "core/error.h"
#include "datasets/scenes/splitmix64.h"

namespace vedkit {
namespace {

namespace fs = std::filesystem;

void make_folder(const fs::path& folder) {
  std::error_code error;
  fs::create_directories(folder, error);
  if (error) {
    throw DataError("cannot create folder '" + folder.string() + "': " + error.message());
  }
}

void write_png(const fs::path& path, const cv::Mat& image) {
  bool written = false;
  try {
    written = cv::imwrite(path.string(), image, {cv::IMWRITE_PNG_COMPRESSION, 9});
  } catch (const cv::Exception&) {
  }
  if (!written) {
    throw DataError("cannot write '" + path.string() + "'; check that the folder is writable");
  }
}

void write_lines(const fs::path& path, const std::vector<std::string>& lines) {
  std::ofstream out(path);
  for (const auto& line : lines) out << line << '\n';
  out.close();
  if (!out) {
    throw DataError("cannot write '" + path.string() + "'; check that the folder is writable");
  }
}

// The items of set between fractions begin and end of its length (all of it when too small).
FashionMnist slice(const FashionMnist& set, double begin, double end) {
  const int64_t n = set.images.size(0);
  const auto first = static_cast<int64_t>(std::floor(n * begin));
  const auto last = static_cast<int64_t>(std::floor(n * end));
  if (last <= first) return set;
  return {set.images.narrow(0, first, last - first), set.labels.narrow(0, first, last - first)};
}

}  // namespace

void check_scene_set_options(const SceneSetOptions& options) {
  check_scene_options(options.scene);
  if (options.out_dir.empty()) throw DataError("no output folder given");
  if (options.count < 1) {
    throw DataError("scene count " + std::to_string(options.count) +
                    " is too small; use 1 or more");
  }
  const bool fractions_valid = options.val_fraction >= 0 && options.test_fraction >= 0 &&
                               options.val_fraction + options.test_fraction <= 1;
  if (!fractions_valid) {
    throw DataError("val fraction " + std::to_string(options.val_fraction) + " and test fraction " +
                    std::to_string(options.test_fraction) +
                    " must be at least 0 and sum to at most 1");
  }
}

SplitCounts split_counts(int64_t count, double val_fraction, double test_fraction) {
  SplitCounts counts;
  counts.val = static_cast<int64_t>(std::llround(count * val_fraction));
  counts.test =
      std::min(count - counts.val, static_cast<int64_t>(std::llround(count * test_fraction)));
  counts.train = count - counts.val - counts.test;
  return counts;
}

std::string scene_stem(int64_t index) {
  char text[32];
  std::snprintf(text, sizeof text, "%06lld", static_cast<long long>(index));
  return text;
}

SplitCounts write_scene_set(const SceneSetOptions& options, const FashionMnist& train_items,
                            const FashionMnist& test_items, const std::function<void()>& on_scene) {
  check_scene_set_options(options);
  const fs::path out(options.out_dir);
  make_folder(out / "images");
  make_folder(out / "masks");

  // Val scenes use garments that train scenes never show, so val scores measure generalisation.
  const FashionMnist train_pool = slice(train_items, 0.0, 0.9);
  const FashionMnist val_pool = slice(train_items, 0.9, 1.0);
  const SplitCounts counts =
      split_counts(options.count, options.val_fraction, options.test_fraction);

  std::vector<std::string> captions, train, val, test;
  for (int64_t index = 0; index < options.count; ++index) {
    const bool is_train = index < counts.train;
    const bool is_val = !is_train && index < counts.train + counts.val;
    const FashionMnist& pool = is_train ? train_pool : is_val ? val_pool : test_items;
    const Scene scene = compose_scene(options.scene, pool, derive_seed(options.seed, index));

    const std::string stem = scene_stem(index);
    write_png(out / "images" / (stem + ".png"), scene.image);
    write_png(out / "masks" / (stem + ".png"), scene.mask);
    captions.push_back("images/" + stem + ".png\t" + scene.caption);
    (is_train ? train : is_val ? val : test).push_back(stem);
    if (on_scene) on_scene();
  }

  std::vector<std::string> classes = {"background"};
  for (const auto& name : fashion_mnist_classes()) classes.push_back(name);
  write_lines(out / "captions.tsv", captions);
  write_lines(out / "train.txt", train);
  write_lines(out / "val.txt", val);
  write_lines(out / "test.txt", test);
  write_lines(out / "classes.txt", classes);
  return counts;
}

}  // namespace vedkit
