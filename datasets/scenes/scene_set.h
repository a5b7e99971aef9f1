#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "datasets/fashion_mnist.h"
#include "datasets/scenes/scene.h"

namespace vedkit {

struct SceneSetOptions {
  std::string out_dir;
  int64_t count = 1000;
  SceneOptions scene;
  uint64_t seed = 0;
  double val_fraction = 0.1;  // the rest after val and test is train
  double test_fraction = 0.1;
};

struct SplitCounts {
  int64_t train = 0;
  int64_t val = 0;
  int64_t test = 0;
};

// Throws DataError naming the option when one is out of range.
void check_scene_set_options(const SceneSetOptions& options);

// Scenes per split; val and test are rounded, train takes the rest.
SplitCounts split_counts(int64_t count, double val_fraction, double test_fraction);

// The zero-padded file stem of scene index: "000042".
std::string scene_stem(int64_t index);

// Writes count scenes under out_dir: images/NNNNNN.png (RGB), masks/NNNNNN.png (class ids),
// captions.tsv ("images/NNNNNN.png<TAB>caption"), train.txt / val.txt / test.txt (stems) and
// classes.txt (background and the ten names; line = class id). Scenes are numbered train, then
// val, then test. Train scenes draw items from the first nine tenths of train_items, val scenes
// from its last tenth, test scenes from test_items. on_scene is called after each scene.
SplitCounts write_scene_set(const SceneSetOptions& options, const FashionMnist& train_items,
                            const FashionMnist& test_items,
                            const std::function<void()>& on_scene = {});

}  // namespace vedkit
