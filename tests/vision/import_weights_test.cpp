// scripts/import_torchvision.py and `model.encoder.weights`, end to end.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "core/error.h"
#include "tests/support/python_peer.h"
#include "vision/encoders/encoder.h"

namespace vedkit {
namespace {

using testing::TempDir;

TEST(ImportTorchvision, ConvertedWeightsLoadThroughTheConfig) {
  TempDir dir;
  const std::string script = std::string(VEDKIT_SOURCE_DIR) + "/scripts/import_torchvision.py";
  const auto command = testing::python() + " " + script +
                       " --arch resnet18 --random --seed 4 --out " + dir.file("r18.pt") + " > /dev/null";
  ASSERT_EQ(std::system(command.c_str()), 0) << command;
  auto config = Config::from_text("encoder: {type: resnet, depth: 18, in_channels: 1, weights: " +
                                      dir.file("r18.pt") + "}\n", "e.yaml");
  auto encoder = build_encoder(config.section("encoder"));
  const auto state = read_state_dict(dir.file("r18.pt"));
  EXPECT_TRUE(torch::allclose(encoder->named_parameters()["conv1.weight"],
                              find_tensor(state, "conv1.weight").sum(1, true)));
  EXPECT_TRUE(torch::equal(encoder->named_parameters()["layer4.1.conv2.weight"],
                           find_tensor(state, "layer4.1.conv2.weight")));
  auto wrong_depth = Config::from_text("encoder: {type: resnet, depth: 34, weights: " +
                                           dir.file("r18.pt") + "}\n", "e.yaml");
  EXPECT_THROW(build_encoder(wrong_depth.section("encoder")), Error);
}

TEST(ImportTorchvision, ScriptRejectsAForeignFile) {
  TempDir dir;
  const auto bogus = dir.write("bogus.pth", "not a state dict");
  const std::string command = testing::python() + " " + VEDKIT_SOURCE_DIR +
                              "/scripts/import_torchvision.py --arch resnet18 --weights " + bogus +
                              " --out " + dir.file("x.pt") + " 2> /dev/null";
  EXPECT_NE(std::system(command.c_str()), 0);
}

}  // namespace
}  // namespace vedkit
