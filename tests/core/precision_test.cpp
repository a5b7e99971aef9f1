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
  set_precision(*layer, "bfloat16_any_cpu");
  EXPECT_EQ(layer->weight.scalar_type(), torch::kBFloat16);
  EXPECT_EQ(layer->bias.scalar_type(), torch::kBFloat16);
  const auto message = testing::error_of<Error>([&] { set_precision(*layer, "half"); });
  EXPECT_EQ(message, "precision 'half': expected float32, bfloat16, auto or bfloat16_any_cpu");
}

TEST(Precision, EmulatedBfloat16IsRefusedUnlessInsistedOn) {
  // A CPU without native bfloat16 (a Zen 3): bfloat16 is refused, auto falls back to float32.
  const auto message = testing::error_of<Error>([] { runs_in_bfloat16("bfloat16", c10::kCPU, false); });
  EXPECT_NE(message.find("no native bfloat16"), std::string::npos) << message;
  EXPECT_NE(message.find("float32"), std::string::npos) << message;
  EXPECT_FALSE(runs_in_bfloat16("auto", c10::kCPU, false));
  EXPECT_TRUE(runs_in_bfloat16("bfloat16_any_cpu", c10::kCPU, false));
  EXPECT_FALSE(runs_in_bfloat16("float32", c10::kCPU, false));
  // One with it (AVX-512 BF16 or AMX), and a GPU.
  EXPECT_TRUE(runs_in_bfloat16("bfloat16", c10::kCPU, true));
  EXPECT_TRUE(runs_in_bfloat16("auto", c10::kCPU, true));
  EXPECT_TRUE(runs_in_bfloat16("bfloat16", c10::kCUDA, false));
  EXPECT_TRUE(runs_in_bfloat16("auto", c10::kCUDA, false));
  // This machine's answer follows its CPU.
  torch::nn::Linear layer(4, 2);
  if (cpu_has_native_bfloat16()) {
    set_precision(*layer, "bfloat16");
    EXPECT_EQ(layer->weight.scalar_type(), torch::kBFloat16);
  } else {
    EXPECT_THROW(set_precision(*layer, "bfloat16"), Error);
    set_precision(*layer, "auto");
    EXPECT_EQ(layer->weight.scalar_type(), torch::kFloat);
  }
}

}  // namespace
}  // namespace vedkit
