#pragma once

#include <ATen/core/Generator.h>

#include "core/trainer.h"
#include "vision/autoencoder/autoencoder_data.h"
#include "vision/autoencoder/autoencoder_model.h"
#include "vision/autoencoder/corruption.h"
#include "vision/autoencoder/reconstruction_loss.h"

namespace vedkit {

// Autoencoding for the generic trainer: the weighted reconstruction loss of the clean image
// from its corrupted input (plus beta x KL for a variational model), and PSNR / SSIM on the
// validation split, whose corruption is seeded per batch so every epoch scores the same inputs.
class AutoencoderTask : public TrainingTask {
 public:
  AutoencoderTask(AutoencoderModel model, AutoencoderData& data,
                  std::vector<ReconstructionLossTerm> losses, c10::Device device, uint64_t seed);

  torch::nn::Module& model() override { return *model_; }
  int64_t batches_per_epoch() override { return data_.train_batches(); }
  void start_epoch(int64_t epoch, int64_t first_batch) override {
    data_.start_epoch(epoch, first_batch);
  }
  at::Tensor train_step(std::map<std::string, double>& logs) override;
  std::vector<std::pair<std::string, double>> validate() override;
  std::string best_metric() const override { return "SSIM"; }
  // The 99th percentile of the held-out images' anomaly scores (anomaly_map.h).
  double anomaly_threshold() const override { return threshold_; }
  void save_preview(const std::string& path_stem) override;

 private:
  // Corrupts images as the mode says (into input) and reconstructs them.
  AutoencoderOutput run(const at::Tensor& images, at::Generator generator, CorruptedInput& input);

  AutoencoderModel model_;
  AutoencoderData& data_;
  std::vector<ReconstructionLossTerm> losses_;
  c10::Device device_;
  uint64_t seed_;
  at::Generator train_generator_;
  double threshold_ = std::nan("");
};

}  // namespace vedkit
