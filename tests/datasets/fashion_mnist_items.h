#pragma once

#include "datasets/fashion_mnist.h"

namespace vedkit::testing {

// The Fashion-MNIST test split (10000 items), read once per test binary.
inline const FashionMnist& fashion_mnist_test_items() {
  static const FashionMnist items = load_fashion_mnist(kDefaultFashionMnistDir, "test");
  return items;
}

}  // namespace vedkit::testing
