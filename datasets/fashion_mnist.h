#pragma once

#include <ATen/core/Tensor.h>

#include <string>
#include <vector>

namespace vedkit {

// One split of Fashion-MNIST: images [N, 28, 28] uint8, labels [N] int64 in 0..9.
struct FashionMnist {
  at::Tensor images;
  at::Tensor labels;
};

// Where the Debian package dataset-fashion-mnist installs the four IDX files.
inline constexpr const char* kDefaultFashionMnistDir = "/usr/share/datasets/fashion-mnist";

// The names of labels 0..9: "t-shirt", "trouser", ..., "ankle boot".
const std::vector<std::string>& fashion_mnist_classes();

// split is "train" (60000 items) or "test" (10000, the t10k files). Reads
// <split>-images-idx3-ubyte[.gz] and <split>-labels-idx1-ubyte[.gz] from dir.
FashionMnist load_fashion_mnist(const std::string& dir, const std::string& split);

}  // namespace vedkit
