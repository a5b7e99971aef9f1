#include "vision/autoencoder/autoencoder_task.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "tests/support/error_of.h"
#include "vision/metrics/image_quality.h"

namespace vedkit {
namespace {

TEST(ReconstructionLoss, WeightedTermsMatchTheirDefinitions) {
  const auto target = torch::rand({2, 1, 16, 16});
  const auto estimate = (target + 0.1 * torch::randn_like(target)).clamp(0, 1);
  const double mse = (estimate - target).square().mean().item<double>();
  const double l1 = (estimate - target).abs().mean().item<double>();
  const double structure = 1 - ssim(estimate, target, 1.0).mean().item<double>();
  const auto loss = reconstruction_loss(estimate, target, {{"mse", 2.0}, {"l1", 0.5}, {"ssim", 3.0}});
  EXPECT_NEAR(loss.item<double>(), 2 * mse + 0.5 * l1 + 3 * structure, 1e-6);
}

TEST(ReconstructionLoss, HiddenPixelsAloneCountWhenGiven) {
  const auto target = torch::zeros({1, 1, 4, 4});
  auto estimate = torch::zeros({1, 1, 4, 4});
  auto where = torch::zeros({1, 1, 4, 4});
  where.index_put_({0, 0, 0}, 1);  // the top row is hidden
  estimate.index_put_({0, 0, 3}, 5);  // a large error on a visible row
  EXPECT_EQ(reconstruction_loss(estimate, target, {{"mse", 1.0}}, where).item<double>(), 0);
  estimate.index_put_({0, 0, 0, 0}, 2);
  EXPECT_NEAR(reconstruction_loss(estimate, target, {{"mse", 1.0}}, where).item<double>(), 4.0 / 4, 1e-6);
}

TEST(ReconstructionLoss, KlIsZeroForTheStandardNormal) {
  Latent standard{torch::zeros({2, 8}), torch::zeros({2, 8})};
  EXPECT_EQ(kl_divergence(standard, 100).item<double>(), 0);
  Latent shifted{torch::ones({2, 8}), torch::zeros({2, 8})};
  EXPECT_NEAR(kl_divergence(shifted, 100).item<double>(), 0.5 * 8 / 100, 1e-6);
}

TEST(ReconstructionLoss, UnknownTypeIsAConfigError) {
  auto config = Config::from_text("train:\n  losses: [{type: perceptual}]\n", "ae.yaml");
  EXPECT_NE(testing::error_of<ConfigError>([&] { read_reconstruction_loss_terms(config.section("train")); })
                .find("perceptual"),
            std::string::npos);
}

// Eight fixed images of bars and blocks, the same every epoch.
class FixedImages : public AutoencoderData {
 public:
  FixedImages() {
    images_ = torch::zeros({8, 1, 32, 32});
    for (int64_t i = 0; i < 8; ++i) {
      images_.index_put_({i, 0, torch::indexing::Slice(4 * i, 4 * i + 8)}, 1.0);
      images_.index_put_({i, 0, torch::indexing::Slice(), torch::indexing::Slice(2 * i, 2 * i + 6)}, 0.5);
    }
  }
  int64_t train_batches() const override { return 1; }
  void start_epoch(int64_t, int64_t) override {}
  at::Tensor next_train_batch() override { return images_; }
  int64_t val_batches() const override { return 1; }
  at::Tensor val_batch(int64_t) override { return images_; }
  void write_preview(const std::string&, const at::Tensor&, const at::Tensor&) override {}

 private:
  at::Tensor images_;
};

TEST(AutoencoderTask, ATinyRunLowersTheLossAndRaisesPsnr) {
  // The four modes, and the detail target (signed, so with an unbounded output).
  for (const std::string mode : {"plain", "denoising", "variational", "masked", "detail"}) {
    torch::manual_seed(0);
    const bool detail = mode == "detail";
    std::string mode_keys = "\n  mode: " + mode;
    if (mode == "masked") mode_keys += "\n  mask_ratio: 0.25\n  mask_patch: 8";
    if (detail) mode_keys = "\n  target: detail\n  detail_sigma: 2";
    auto config = Config::from_text("model:" + mode_keys +
                                        "\n  encoder: {type: resnet, depth: 18, width: 8, in_channels: 1}\n"
                                        "  decoder: {latent_size: 16, channels: [32, 32, 16, 16, 8]" +
                                        (detail ? ", output: none" : "") + "}\n",
                                    "ae.yaml");
    FixedImages data;
    AutoencoderTask task(build_autoencoder_model(config.section("model")), data, {{"mse", 1.0}},
                         torch::kCPU, 1);
    torch::optim::Adam optimizer(task.model().parameters(), torch::optim::AdamOptions(3e-3));
    std::map<std::string, double> logs;
    task.model().eval();
    const auto before = task.validate();
    task.model().train();
    double first = 0, last = 0;  // mean losses of the first and the last five steps
    for (int step = 0; step < 40; ++step) {
      optimizer.zero_grad();
      auto loss = task.train_step(logs);
      loss.backward();
      optimizer.step();
      if (step < 5) first += loss.item<double>() / 5;
      if (step >= 35) last += loss.item<double>() / 5;
    }
    task.model().eval();
    const auto after = task.validate();
    // Hidden patches are harder to fill in than visible pixels are to copy, and these bars'
    // detail is all edges.
    const bool masked = mode == "masked";
    EXPECT_LT(last, (masked ? 0.7 : 0.5) * first) << mode;
    EXPECT_GT(after[1].second, before[1].second + (masked || detail ? 1.5 : 3)) << mode << ": PSNR " << before[1].second
                                                     << " -> " << after[1].second;
    if (mode == "variational") {
      EXPECT_TRUE(logs.count("kl"));
    }
  }
}

}  // namespace
}  // namespace vedkit
