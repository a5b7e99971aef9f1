// torchvision's six segmentation models with random weights, converted and run by vedkit, against
// Debian's python3-torchvision (tests/peers/torchvision_segmentation.py).
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <filesystem>

#include "core/error.h"
#include "core/model_file.h"
#include "tests/support/python_peer.h"
#include "vision/inference/lazy_conv_graph.h"
#include "vision/segmentation/import_segmentation_model.h"
#include "vision/segmentation/segmentation_model.h"

namespace vedkit {
namespace {

using testing::TempDir;

std::string config_path(const std::string& arch) {
  return std::string(VEDKIT_SOURCE_DIR) + "/configs/torchvision/" + arch + ".yaml";
}

class TorchvisionSegmentation : public ::testing::TestWithParam<std::string> {};

// Logits within 1e-4 of torchvision's, relative to their scale, on a size that is a multiple
// of 32 and one that is not, unfolded (as trained) and folded for inference.
TEST_P(TorchvisionSegmentation, MatchesTorchvision) {
  const std::string arch = GetParam();
  TempDir dir;
  testing::run_peer("torchvision_segmentation.py " + arch + " " + dir.path().string() +
                    " --batch 2 --size 64 64 --size 75 101");
  auto config = Config::load(config_path(arch));
  import_segmentation_model(config, dir.file("state.pt"), dir.file("model.vdk"));
  const auto reference = testing::load_tensor_dict(dir.file("logits.pt"));

  auto trained = build_segmentation_model(
      ModelFile::open(dir.file("model.vdk")).model_config().section("model"));
  ModelFile::open(dir.file("model.vdk")).load_weights(*trained);
  trained->eval();
  auto loaded = load_segmentation_model(dir.file("model.vdk"));
  EXPECT_EQ(loaded.class_names.size(), 21u);
  EXPECT_EQ(loaded.class_names[15], "person");
  torch::InferenceMode inference;
  for (const char* size : {"0", "1"}) {
    const auto& input = reference.at(std::string("input_") + size);
    const auto& expected = reference.at(std::string("logits_") + size);
    const double scale = expected.abs().max().item<double>();
    for (auto* model : {trained.get(), loaded.model.get()}) {
      const int64_t passes = conv_graph_passes();
      const auto logits = model->forward(input);
      // Folded, the whole model runs as one oneDNN graph where the build has oneDNN.
      if (model == loaded.model.get() && ConvGraphRunner::available()) {
        EXPECT_EQ(conv_graph_passes(), passes + 1) << arch << ": the graph did not run";
      }
      ASSERT_EQ(logits.sizes(), expected.sizes());
      const double diff = testing::max_abs_diff(logits, expected) / scale;
      EXPECT_LT(diff, 1e-4) << arch << " size " << size
                            << (model == trained.get() ? " as trained" : " folded");
      RecordProperty(arch + "_" + size + (model == trained.get() ? "" : "_folded"),
                     std::to_string(diff));
    }
    // One image alone: the graph lays a batch of one out differently (concatenations in place).
    const auto first = loaded.model->forward(input.slice(0, 0, 1));
    EXPECT_LT(testing::max_abs_diff(first, expected.slice(0, 0, 1)) / scale, 1e-4)
        << arch << " size " << size << ", one image";
  }
}

INSTANTIATE_TEST_SUITE_P(Models, TorchvisionSegmentation,
                         ::testing::Values("fcn_resnet50", "fcn_resnet101", "deeplabv3_resnet50",
                                           "deeplabv3_resnet101", "deeplabv3_mobilenet_v3_large",
                                           "lraspp_mobilenet_v3_large"));

// What import_segmentation_model refuses, each with the tensor or field named and no file left.
TEST(TorchvisionSegmentationImport, BadStatesAreNamed) {
  TempDir dir;
  auto config = Config::load(config_path("lraspp_mobilenet_v3_large"));
  auto model = build_segmentation_model(config.section("model"));
  auto save_state = [&](const std::string& skipped, const std::string& reshaped) {
    c10::Dict<std::string, at::Tensor> state;
    for (const auto& item : model->named_parameters()) {
      if (item.key() == skipped) continue;
      state.insert(item.key(), item.key() == reshaped ? item.value().flatten() : item.value());
    }
    for (const auto& item : model->named_buffers()) state.insert(item.key(), item.value());
    const auto bytes = torch::pickle_save(state);
    return dir.write("state.pt", std::string(bytes.begin(), bytes.end()));
  };
  auto message = [&](const std::string& state) {
    try {
      auto fresh = Config::load(config_path("lraspp_mobilenet_v3_large"));
      import_segmentation_model(fresh, state, dir.file("m.vdk"));
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_EQ(message(save_state("", "")), "no error");
  std::filesystem::remove(dir.file("m.vdk"));
  EXPECT_NE(message(save_state("decoder.low_classifier.weight", ""))
                .find("decoder.low_classifier.weight"),
            std::string::npos);
  EXPECT_NE(message(save_state("", "decoder.cbr.0.weight")).find("decoder.cbr.0.weight"),
            std::string::npos);
  EXPECT_NE(message(dir.write("empty.pt", "")).find("not a PyTorch state dict"), std::string::npos);
  EXPECT_FALSE(std::filesystem::exists(dir.file("m.vdk")));
  auto wrong_names = Config::load(config_path("lraspp_mobilenet_v3_large"),
                                  {"data.class_names=[background, cat]"});
  EXPECT_THROW(import_segmentation_model(wrong_names, save_state("", ""), dir.file("m.vdk")),
               ConfigError);
}

}  // namespace
}  // namespace vedkit
