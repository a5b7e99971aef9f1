#include "core/precision.h"

#include <gtest/gtest.h>
#include <torch/nn/modules/linear.h>

#include "core/error.h"
#include "tests/support/error_of.h"

namespace vedkit {
namespace {

TEST(Precision, CastsTheParametersOrNamesABadValue) {
  torch::nn::Linear layer(4, 2);
  set_precision(*layer, "float32");
  EXPECT_EQ(layer->weight.scalar_type(), torch::kFloat);
  set_precision(*layer, "bfloat16");
  EXPECT_EQ(layer->weight.scalar_type(), torch::kBFloat16);
  EXPECT_EQ(layer->bias.scalar_type(), torch::kBFloat16);
  const auto message = testing::error_of<Error>([&] { set_precision(*layer, "half"); });
  EXPECT_EQ(message, "precision 'half': expected float32 or bfloat16");
}

}  // namespace
}  // namespace vedkit
