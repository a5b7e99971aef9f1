#include "datasets/fashion_mnist.h"

#include <gtest/gtest.h>
#include <torch/types.h>

#include "core/error.h"
#include "tests/datasets/fashion_mnist_items.h"

namespace vedkit {
namespace {

// Fashion-MNIST is balanced: every class has a tenth of each split.
void expect_balanced_split(const FashionMnist& set, int64_t count) {
  ASSERT_EQ(set.images.sizes(), (std::vector<int64_t>{count, 28, 28}));
  EXPECT_EQ(set.images.scalar_type(), torch::kUInt8);
  ASSERT_EQ(set.labels.sizes(), (std::vector<int64_t>{count}));
  EXPECT_EQ(set.labels.scalar_type(), torch::kInt64);
  EXPECT_EQ(set.labels.min().item<int64_t>(), 0);
  EXPECT_EQ(set.labels.max().item<int64_t>(), 9);
  const auto per_class = torch::bincount(set.labels);
  EXPECT_TRUE(torch::all(per_class == count / 10).item<bool>()) << per_class;
  // Pixels are intensities that use the full range, not padding.
  EXPECT_EQ(set.images.max().item<int>(), 255);
}

TEST(FashionMnist, TrainAndTestSplitsHaveTheirRealShapes) {
  expect_balanced_split(load_fashion_mnist(kDefaultFashionMnistDir, "train"), 60000);
  expect_balanced_split(testing::fashion_mnist_test_items(), 10000);
}

TEST(FashionMnist, ClassNamesInLabelOrder) {
  const auto& names = fashion_mnist_classes();
  ASSERT_EQ(names.size(), 10u);
  EXPECT_EQ(names[0], "t-shirt");
  EXPECT_EQ(names[7], "sneaker");
  EXPECT_EQ(names[9], "ankle boot");
}

TEST(FashionMnist, MissingFolderNamesTheFileAndThePackage) {
  try {
    load_fashion_mnist("/nonexistent", "train");
    FAIL() << "no error";
  } catch (const DataError& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find("/nonexistent/train-images-idx3-ubyte.gz"), std::string::npos)
        << message;
    EXPECT_NE(message.find("dataset-fashion-mnist"), std::string::npos) << message;
  }
}

TEST(FashionMnist, UnknownSplitIsAnError) {
  EXPECT_THROW(load_fashion_mnist(kDefaultFashionMnistDir, "val"), DataError);
}

}  // namespace
}  // namespace vedkit
