#include "datasets/fashion_mnist.h"

#include <torch/types.h>

#include <filesystem>

#include "core/error.h"
#include "datasets/idx.h"

namespace vedkit {
namespace {

// The gzip'd name as shipped, else the same file unpacked.
std::string find_idx_file(const std::string& dir, const std::string& stem) {
  const auto base = std::filesystem::path(dir) / stem;
  for (const auto& candidate : {base.string() + ".gz", base.string()}) {
    if (std::filesystem::is_regular_file(candidate)) return candidate;
  }
  throw DataError("Fashion-MNIST file '" + base.string() +
                  ".gz' does not exist; install the package dataset-fashion-mnist or give the "
                  "folder that holds the four IDX files");
}

}  // namespace

const std::vector<std::string>& fashion_mnist_classes() {
  static const std::vector<std::string> names = {"t-shirt", "trouser",   "pullover", "dress",
                                                 "coat",    "sandal",    "shirt",    "sneaker",
                                                 "bag",     "ankle boot"};
  return names;
}

FashionMnist load_fashion_mnist(const std::string& dir, const std::string& split) {
  if (split != "train" && split != "test") {
    throw DataError("Fashion-MNIST split '" + split + "' does not exist; use 'train' or 'test'");
  }
  const std::string prefix = split == "train" ? "train" : "t10k";
  const auto images_path = find_idx_file(dir, prefix + "-images-idx3-ubyte");
  const auto labels_path = find_idx_file(dir, prefix + "-labels-idx1-ubyte");

  FashionMnist set;
  set.images = read_idx(images_path);
  const auto labels = read_idx(labels_path);
  if (set.images.dim() != 3 || set.images.size(1) != 28 || set.images.size(2) != 28) {
    throw DataError("'" + images_path + "' does not hold 28x28 images; check the file");
  }
  if (labels.dim() != 1 || labels.size(0) != set.images.size(0)) {
    throw DataError("'" + labels_path + "' holds " + std::to_string(labels.numel()) +
                    " labels for " + std::to_string(set.images.size(0)) +
                    " images; the two files do not belong together");
  }
  if (labels.numel() > 0 && labels.max().item<int64_t>() > 9) {
    throw DataError("'" + labels_path + "' holds a label above 9; it is not Fashion-MNIST");
  }
  set.labels = labels.to(torch::kInt64);
  return set;
}

}  // namespace vedkit
